/**
 * cold-start: how long a production worker process takes to start, with the workflow bundle that `npm run build`
 * prebuilt, against the same compiled worker bundling the workflows at start (`WORKFLOW_BUNDLE=none`). Each start
 * is a fresh process of `dist/workers/orders.js` against one embedded server. Two figures per start: the whole
 * process, from `node` to its "polling" line (module loading, connecting and the database included), and the
 * part the bundle replaces, `Worker.create`, which the worker reports in that line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from '../workers/dev-server';
import type { BenchmarkResult } from './report';
import { percentile, progress } from './report';

const projectRoot = path.resolve(__dirname, '..');
const variants = [
  { name: 'prebuilt bundle', env: {} },
  { name: 'bundling at start', env: { WORKFLOW_BUNDLE: 'none' } },
] as const;

interface Start {
  /** From spawning `node` to the worker's "polling" line. */
  processMs: number;
  /** `Worker.create`, as the worker reports it. */
  workerMs: number;
}

/** Starts the compiled orders worker, times it until it polls, then stops it. */
function startOnce(env: NodeJS.ProcessEnv): Promise<Start> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'workers', 'orders.js')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const polling = /orders service: polling .*worker created in (\d+) ms/.exec(output);
      if (!polling) return;
      const processMs = performance.now() - began;
      child.once('exit', () => resolve({ processMs, workerMs: Number(polling[1]) }));
      child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      if (!output.includes('orders service: polling')) reject(new Error(`the worker exited (${code}):\n${output}`));
    });
  });
}

export async function coldStart({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  const starts = quick ? 1 : 7;
  process.stderr.write('cold-start: npm run build…\n');
  const build = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);

  const server = await startDevServer();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-cold-start-'));
  const samples: ({ variant: string } & Start)[] = [];
  try {
    const report = progress('cold-start', starts * variants.length);
    // Alternating, so that both see the same machine over time.
    for (let round = 0; round < starts; round++) {
      for (const variant of variants) {
        const env = { ...process.env, ...variant.env, TEMPORAL_ADDRESS: server.address, DATA_DIR: dataDir };
        samples.push({ variant: variant.name, ...(await startOnce(env)) });
        report.tick();
      }
    }
    report.done();
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }

  const median = (name: string, figure: keyof Start) =>
    percentile(
      samples.filter((sample) => sample.variant === name).map((sample) => sample[figure]),
      50,
    );
  const ratio = (figure: keyof Start) => median('prebuilt bundle', figure) / median('bundling at start', figure);
  return {
    name: 'cold-start',
    parameters: { starts, quick },
    rows: variants.map((variant) => ({
      workflows: variant.name,
      starts,
      processMedianMs: median(variant.name, 'processMs'),
      workerCreateMedianMs: median(variant.name, 'workerMs'),
    })),
    plot: {
      title: { text: 'Starting a worker process', subtitle: `dist/workers/orders.js, median of ${starts} starts each` },
      data: { values: samples },
      transform: [{ fold: ['processMs', 'workerMs'], as: ['figure', 'ms'] }],
      mark: 'bar',
      encoding: {
        y: { field: 'variant', type: 'nominal', title: null },
        yOffset: { field: 'figure', type: 'nominal' },
        x: { aggregate: 'median', field: 'ms', type: 'quantitative', title: 'ms (median)' },
        color: {
          field: 'figure',
          type: 'nominal',
          title: null,
          legend: {
            orient: 'top',
            labelExpr: "datum.label === 'processMs' ? 'node to polling' : 'Worker.create'",
          },
        },
      },
      width: 420,
    },
    verdicts: [
      {
        claim: 'Worker.create with the prebuilt bundle takes ≤ 1/5 of bundling at start',
        measured: `${median('prebuilt bundle', 'workerMs').toFixed(0)} ms against ${median('bundling at start', 'workerMs').toFixed(0)} ms: ${(ratio('workerMs') * 100).toFixed(0)} %`,
        holds: ratio('workerMs') <= 0.2,
      },
      {
        claim: 'the whole process, node to polling (reported, no target)',
        measured: `${median('prebuilt bundle', 'processMs').toFixed(0)} ms against ${median('bundling at start', 'processMs').toFixed(0)} ms: ${(ratio('processMs') * 100).toFixed(0)} %`,
        holds: true,
      },
    ],
  };
}
