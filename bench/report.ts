/** What every benchmark returns, prints and writes under bench/results/: a table, its verdicts and a plot. */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadPayloadEncryption } from '../codec/data-converter';
import { formatPayloadKey, generatePayloadKey } from '../codec/payload-keys';
import { loadConfig } from '../config';
import type { PlotSpec } from './plot';
import { renderSvg } from './plot';

export interface BenchmarkResult {
  name: string;
  parameters: Record<string, unknown>;
  rows: Record<string, string | number>[];
  /** Each target the benchmark checks, and whether the run met it. */
  verdicts: { claim: string; measured: string; holds: boolean }[];
  /** A Vega-Lite spec with its data inline, written beside the JSON as `<name>.svg`. */
  plot: PlotSpec;
}

let runtimeInstalled = false;

/** The SDK's runtime, once per process: benchmarks fail activities on purpose and need no warnings for it. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export const resultsDir = path.resolve(__dirname, 'results');

/**
 * The project's data converter for a benchmark's clients and workers: payloads encrypted as in production, with
 * the configured keys, or a key made for this run (a benchmark keeps no history to read back).
 */
export async function benchDataConverter(): Promise<DataConverter> {
  const keys = process.env.PAYLOAD_KEYS || formatPayloadKey(generatePayloadKey('bench'));
  return (await loadPayloadEncryption(loadConfig({ ...process.env, PAYLOAD_KEYS: keys }))).dataConverter;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** A progress line on stderr, rewritten in place. */
export function progress(label: string, total: number) {
  let done = 0;
  const began = Date.now();
  const write = () =>
    process.stderr.write(`\r${label}: ${done}/${total} (${((Date.now() - began) / 1000).toFixed(1)} s)   `);
  return {
    tick: () => {
      done += 1;
      if (done % Math.max(1, Math.floor(total / 50)) === 0 || done === total) write();
    },
    done: () => process.stderr.write('\n'),
  };
}

function cell(value: string | number): string {
  return typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value;
}

/** The result as a markdown table, for the terminal and the README. */
export function formatResult(result: BenchmarkResult): string {
  const columns = Object.keys(result.rows[0] ?? {});
  return [
    `### ${result.name}`,
    '',
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...result.rows.map((row) => `| ${columns.map((column) => cell(row[column] ?? '')).join(' | ')} |`),
    '',
    ...result.verdicts.map((verdict) => `- ${verdict.holds ? '✓' : '✗'} ${verdict.claim}: ${verdict.measured}`),
  ].join('\n');
}

/** Writes `<name>.json` and `<name>.svg` into `dir`; returns their paths. */
export async function writeResult(result: BenchmarkResult, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, `${result.name}.json`);
  const svg = path.join(dir, `${result.name}.svg`);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  const { plot, ...figures } = result;
  await writeFile(json, JSON.stringify({ ...figures, machine, recordedAt: new Date().toISOString() }, null, 2) + '\n');
  await writeFile(svg, await renderSvg(plot));
  return [json, svg];
}
