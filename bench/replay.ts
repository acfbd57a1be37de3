/**
 * replay: the pre-deploy check as a deploy pipeline runs it. `npm run replay` (scripts/replay.ts), as a process of
 * its own, over live order sagas on a dev server: from `node` to its exit, fetching, bundling and replaying
 * included. The sagas wait for shipping (its service is down), as sagas in flight during a deploy do. Beside it,
 * the recorded-fixture suite (test/fixtures/histories): every recorded history replayed in one worker per
 * workflow type, what `test/replay.test.ts` checks.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';
import type { FixtureEntry } from '../scripts/record-histories';
import { fixtureKeyFile, historiesDir } from '../scripts/record-histories';
import { sagaInterceptorModules } from '../workers/saga';
import { placeOrders, startOrderSystem, waitForCharges } from './order-system';
import type { BenchmarkResult } from './report';
import { installQuietRuntime } from './report';

const projectRoot = path.resolve(__dirname, '..');
/** The pre-deploy check's target, end to end. */
const targetPerSecond = 200;

/** `npm run replay` over the sagas `query` matches: its wall time, and what it printed. */
function runReplayCli(env: NodeJS.ProcessEnv, query: string, limit: number): Promise<{ ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'scripts', 'replay.ts'), '--query', query, '--limit', String(limit)],
      { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve({ ms: performance.now() - began, output })
        : reject(new Error(`npm run replay exited with ${code}:\n${output.slice(-2000)}`)),
    );
  });
}

/**
 * Runs `check` against `amount` live order sagas: placed through the API, with shipping down, each waiting on its
 * shipment once `check` runs.
 */
async function withLiveSagas<T>(
  amount: number,
  check: (env: NodeJS.ProcessEnv, query: string) => Promise<T>,
): Promise<T> {
  const system = await startOrderSystem({ services: ['orders', 'inventory', 'payments'] });
  try {
    const customerId = `bench-${randomUUID()}`;
    const query = `CustomerId = '${customerId}'`;
    process.stderr.write(`replay: placing ${amount} orders, shipping down…\n`);
    await placeOrders(system.apiUrl, customerId, { amount });
    const ended = `${query} AND ExecutionStatus != 'Running'`;
    await waitForCharges(system, amount, 'replay: charged, waiting on shipping', ended);
    return await check(system.env, query);
  } finally {
    await system.stop();
  }
}

export async function replay({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  installQuietRuntime();
  const sagas = quick ? 20 : 1000;
  const live = await withLiveSagas(sagas, (env, query) => runReplayCli(env, query, sagas));
  const summary = /(\d+) replayed, (\d+) compatible, (\d+) incompatible/.exec(live.output);
  if (summary?.[1] !== String(sagas) || summary[3] !== '0') {
    throw new Error(`npm run replay did not pass all ${sagas} sagas:\n${live.output.slice(-2000)}`);
  }
  process.stderr.write('replay: the recorded-fixture suite…\n');
  const fixtures = await fixtureSuite();
  const perSecond = (histories: number, ms: number) => histories / (ms / 1000);
  const rows = [
    {
      check: 'npm run replay, live sagas',
      histories: sagas,
      seconds: live.ms / 1000,
      historiesPerSecond: perSecond(sagas, live.ms),
    },
    {
      check: 'recorded fixtures (test/replay.test.ts)',
      histories: fixtures.histories,
      seconds: fixtures.ms / 1000,
      historiesPerSecond: perSecond(fixtures.histories, fixtures.ms),
    },
  ];
  return {
    name: 'replay',
    parameters: { sagas, targetPerSecond, quick },
    rows,
    plot: {
      title: {
        text: 'Replaying histories against the current code',
        subtitle: 'end to end: process start, fetching, bundling and replaying',
      },
      data: { values: rows },
      mark: 'bar',
      encoding: {
        y: { field: 'check', type: 'nominal', title: null, axis: { labelLimit: 320 } },
        x: { field: 'historiesPerSecond', type: 'quantitative', title: 'histories per second' },
      },
      width: 380,
    },
    verdicts: [
      {
        claim: `npm run replay over ${sagas} live sagas ≥ ${targetPerSecond} histories/s, end to end`,
        measured: `${perSecond(sagas, live.ms).toFixed(0)} per second (${(live.ms / 1000).toFixed(1)} s)`,
        holds: perSecond(sagas, live.ms) >= targetPerSecond,
      },
    ],
  };
}

/** Every recorded history, replayed in one worker per bundle: how long the whole suite takes. */
async function fixtureSuite(): Promise<{ histories: number; ms: number }> {
  const manifest = JSON.parse(readFileSync(path.join(historiesDir, 'manifest.json'), 'utf8')) as FixtureEntry[];
  // Histories recorded with encryption decrypt with the fixtures' key; older ones hold plain payloads.
  const { dataConverter } = await loadPayloadEncryption(
    loadConfig({ ...process.env, PAYLOAD_KEYS: '', PAYLOAD_KEY_FILE: fixtureKeyFile }),
  );
  const began = performance.now();
  const workflowsPaths: Record<string, FixtureEntry['workflowType'][]> = {
    [require.resolve('../workflows')]: ['placeOrder', 'shipment'],
    [require.resolve('../test/sagas/workflows')]: ['scriptedSaga', 'nexusSaga'],
  };
  let histories = 0;
  for (const [workflowsPath, workflowTypes] of Object.entries(workflowsPaths)) {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: sagaInterceptorModules,
      logger: new DefaultLogger('WARN'),
    });
    const entries = manifest.filter((entry) => workflowTypes.includes(entry.workflowType));
    const inputs = entries.map((entry) => ({
      workflowId: entry.workflowId,
      history: JSON.parse(readFileSync(path.join(historiesDir, entry.file), 'utf8')) as unknown,
    }));
    for await (const result of Worker.runReplayHistories(
      { workflowBundle, dataConverter, replayName: `fixtures-${workflowTypes.join('-')}` },
      inputs as never,
    )) {
      if (result.error) throw new Error(`${result.workflowId} does not replay: ${result.error.message}`);
      histories += 1;
    }
  }
  return { histories, ms: performance.now() - began };
}
