/**
 * replay: the pre-deploy check as a deploy pipeline runs it. `npm run replay` (scripts/replay.ts), as a process of
 * its own, over live order sagas on a dev server: from `node` to its exit, fetching, bundling and replaying
 * included. The sagas wait for shipping (its service is down), as sagas in flight during a deploy do. Beside it,
 * the recorded-fixture suite (test/fixtures/histories): every recorded history replayed in one worker per
 * workflow type, what `test/replay.test.ts` checks.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import autocannon from 'autocannon';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import { listen } from '../api/server';
import { loadPayloadEncryption } from '../codec/data-converter';
import { formatPayloadKey, generatePayloadKey } from '../codec/payload-keys';
import { loadConfig } from '../config';
import type { FixtureEntry } from '../scripts/record-histories';
import { fixtureKeyFile, historiesDir } from '../scripts/record-histories';
import { orderRequest } from '../test/fixtures/orders';
import { customerToken, testTokenSettings } from '../test/tokens';
import { startDevServer } from '../workers/dev-server';
import { sagaInterceptorModules } from '../workers/saga';
import { startServices } from '../workers/service-workers';
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
  const server = await startDevServer();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-replay-'));
  // The check decrypts the histories with the keys the workers encrypted them with.
  const payloadKeys = process.env.PAYLOAD_KEYS || formatPayloadKey(generatePayloadKey('bench'));
  const env = { ...process.env, TEMPORAL_ADDRESS: server.address, PAYLOAD_KEYS: payloadKeys, DATA_DIR: dataDir };
  const config = loadConfig(env);
  const { dataConverter } = await loadPayloadEncryption(config);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  try {
    const deps = { connection: nativeConnection, namespace: 'default', client, config, dataConverter };
    const services = await startServices(deps, { only: ['orders', 'inventory', 'payments'] });
    const http = await listen(createApp({ client, tokens: testTokenSettings, logger: createLogger('silent') }), {
      host: '127.0.0.1',
      port: 0,
    });
    const customerId = `bench-${randomUUID()}`;
    const query = `CustomerId = '${customerId}'`;
    try {
      process.stderr.write(`replay: placing ${amount} orders, shipping down…\n`);
      const token = await customerToken(customerId);
      await new Promise<void>((resolve, reject) =>
        autocannon(
          {
            url: `${http.url}/orders`,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(orderRequest({ customerId })),
            amount,
            connections: 10,
          },
          (error) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()),
        ),
      );
      const waiting = `${query} AND SagaStep = 'requestShipment'`;
      for (let count = 0; count < amount; count = (await client.workflow.count(waiting)).count) {
        process.stderr.write(`\rreplay: ${count}/${amount} orders waiting on shipping   `);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      process.stderr.write(`\rreplay: ${amount}/${amount} orders waiting on shipping; npm run replay…\n`);
      return await check(env, query);
    } finally {
      await http.close();
      await services.shutdown();
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
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

/** Every recorded history, replayed in one worker per workflow type: how long the whole suite takes. */
async function fixtureSuite(): Promise<{ histories: number; ms: number }> {
  const manifest = JSON.parse(readFileSync(path.join(historiesDir, 'manifest.json'), 'utf8')) as FixtureEntry[];
  // Histories recorded with encryption decrypt with the fixtures' key; older ones hold plain payloads.
  const { dataConverter } = await loadPayloadEncryption(
    loadConfig({ ...process.env, PAYLOAD_KEYS: '', PAYLOAD_KEY_FILE: fixtureKeyFile }),
  );
  const began = performance.now();
  const workflowsPaths = {
    placeOrder: require.resolve('../workflows'),
    scriptedSaga: require.resolve('../test/sagas/workflows'),
  };
  let histories = 0;
  for (const [workflowType, workflowsPath] of Object.entries(workflowsPaths)) {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: sagaInterceptorModules,
      logger: new DefaultLogger('WARN'),
    });
    const entries = manifest.filter((entry) => entry.workflowType === workflowType);
    const inputs = entries.map((entry) => ({
      workflowId: entry.workflowId,
      history: JSON.parse(readFileSync(path.join(historiesDir, entry.file), 'utf8')) as unknown,
    }));
    for await (const result of Worker.runReplayHistories(
      { workflowBundle, dataConverter, replayName: `fixtures-${workflowType}` },
      inputs as never,
    )) {
      if (result.error) throw new Error(`${result.workflowId} does not replay: ${result.error.message}`);
      histories += 1;
    }
  }
  return { histories, ms: performance.now() - began };
}
