/**
 * `npm run bench [-- <name>…] [--quick]`: runs the benchmarks (all by default), prints each one's table and
 * verdicts, and writes bench/results/<name>.json. `--quick` is the small size CI runs so that the scripts keep
 * working; figures worth reading come from the default size.
 */
import path from 'node:path';
import { decoupling } from './decoupling';
import { overhead } from './overhead';
import { replay } from './replay';
import { throughput } from './throughput';
import type { BenchmarkResult } from './report';
import { formatResult, writeResult } from './report';

const benchmarks: Record<string, (options: { quick: boolean }) => Promise<BenchmarkResult>> = {
  decoupling,
  overhead,
  replay,
  throughput,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !(name in benchmarks));
  if (unknown.length)
    throw new Error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(benchmarks).join(', ')}`);
  for (const name of names.length ? names : Object.keys(benchmarks)) {
    const result = await benchmarks[name]!({ quick });
    console.log(`\n${formatResult(result)}`);
    console.log(`parameters: ${JSON.stringify(result.parameters)}`);
    if (!quick) console.log(`\nwritten to ${path.relative(process.cwd(), await writeResult(result))}`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
