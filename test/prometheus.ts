/** Reads a worker's Prometheus endpoint (text exposition format) as tests need it: samples, summed by name. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export async function scrape(url: string): Promise<Sample[]> {
  const exposition = await (await fetch(url)).text();
  return exposition.split('\n').flatMap((line) => {
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}

/** The sum of a metric's samples whose labels include `labels`. */
export function total(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name)
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** The engine's saga counters (`saga_*`) whose labels include `labels`, by name; a counter never added is absent. */
export function sagaCounters(samples: readonly Sample[], labels: Record<string, string>): Record<string, number> {
  const names = new Set(samples.map((sample) => sample.name).filter((name) => name.startsWith('saga_')));
  const counters: Record<string, number> = {};
  for (const name of names) {
    const value = total(samples, name, labels);
    if (value !== 0) counters[name] = value;
  }
  return counters;
}
