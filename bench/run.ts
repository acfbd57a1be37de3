/**
 * `npm run bench [-- <name>…] [--quick]`: runs the benchmarks (all by default), prints each one's table and
 * verdicts, and writes bench/results/<name>.json and <name>.svg. `--quick` is the small size CI runs so that the
 * scripts keep working: its results and plots go to a temporary folder, since figures worth reading (and
 * committing) come from the default size.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { attribution } from './attribution';
import { backlog } from './backlog';
import { coldStart } from './cold-start';
import { decoupling } from './decoupling';
import { overhead } from './overhead';
import { replay } from './replay';
import { throughput } from './throughput';
import type { BenchmarkResult } from './report';
import { formatResult, resultsDir, writeResult } from './report';

const benchmarks: Record<string, (options: { quick: boolean }) => Promise<BenchmarkResult>> = {
  attribution,
  decoupling,
  overhead,
  throughput,
  replay,
  backlog,
  'cold-start': coldStart,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !(name in benchmarks));
  if (unknown.length)
    throw new Error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benchmarks).join(', ')}`);
  const dir = quick ? await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-bench-')) : resultsDir;
  for (const name of names.length ? names : Object.keys(benchmarks)) {
    const began = performance.now();
    const result = await benchmarks[name]!({ quick });
    console.log(`\n${name}: ran in ${((performance.now() - began) / 1000).toFixed(0)} s`);
    console.log(`\n${formatResult(result)}`);
    console.log(`parameters: ${JSON.stringify(result.parameters)}`);
    const files = await writeResult(result, dir);
    console.log(`\nwritten to ${files.map((file) => path.relative(process.cwd(), file)).join(', ')}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
