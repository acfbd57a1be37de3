/**
 * `npm run histories:record -- --tag <name>`: runs every saga scenario on a fresh embedded Temporal server with the
 * real services, and writes each workflow's event history to test/fixtures/histories/<tag>/, listed in the
 * manifest (scenario, workflow type, id, code version). Histories of earlier tags stay: they are the sagas that an
 * older version of the code started, and the replay suite replays every tag against the current code, on every
 * test run. Record a new tag after each change to a workflow (behind `patched()`). Payloads are encrypted, as in
 * any history, with the fixtures' own key ({@link fixtureKeyFile}); tags recorded before encryption hold plain ones.
 *
 * Histories of the order saga come from the real services; the engine's own scenarios (an escalation resolved by
 * an operator, a parallel group that fails, steps that are Nexus operations) from the test sagas in test/sagas/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { orderTrigger, orderWorkflowId } from '../api/orders/trigger';
import { cancelSaga, getSagaState, resolveCompensation, startSaga } from '../api/saga';
import { loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig, nexusEndpointsOf } from '../config';
import { createSagaTestActivities, TestService } from '../test/sagas/activities';
import { orderRequest, undeliverableAddress } from '../test/fixtures/orders';
import type { PlaceOrderRequest } from '../api/orders/schema';
import { createTestPaymentsHandler } from '../test/sagas/nexus-handler';
import type { NexusSagaInput, ScriptedSagaInput } from '../test/sagas/workflows';
import { nexusWiringEnv } from '../test/system';
import { startDevServer } from '../workers/dev-server';
import { sagaInterceptorModules } from '../workers/saga';
import type { RunningServices } from '../workers/service-workers';
import { ensureNexusEndpoints } from '../workers/nexus-endpoints';
import { nexusServices, startServices } from '../workers/service-workers';

export const historiesDir = path.resolve(__dirname, '../test/fixtures/histories');
/**
 * The key the recorded histories are encrypted with, committed beside them so that the replay test and benchmark
 * decrypt them: a test key that protects nothing else.
 */
export const fixtureKeyFile = path.join(historiesDir, 'payload-keys');
const sagaTestQueue = 'saga-fixtures';

export interface FixtureEntry {
  /** The recording the history belongs to, e.g. `v2-fraud-check`. */
  tag: string;
  scenario: string;
  file: string;
  workflowType: 'placeOrder' | 'scriptedSaga' | 'nexusSaga' | 'shipment';
  workflowId: string;
  /** How the recorded run ended, or `running`. */
  status: string;
  /** The commit the history was recorded with. */
  codeVersion: string;
  recordedAt: string;
}

interface Recorder {
  client: Client;
  service: TestService;
  /** Starts an order saga the way the API does. */
  order: (overrides?: Partial<PlaceOrderRequest>) => Promise<string>;
  /** Starts an order in the Nexus wiring: inventory, payments and shipping in namespaces of their own. */
  nexusOrder: (overrides?: Partial<PlaceOrderRequest>) => Promise<string>;
  saga: (input: ScriptedSagaInput) => Promise<string>;
  /** Starts the test saga whose steps are Nexus operations, on an endpoint to the test payments service. */
  nexusSaga: (input: Omit<NexusSagaInput, 'endpoint'>) => Promise<string>;
  until: (workflowId: string, predicate: (state: Awaited<ReturnType<typeof getSagaState>>) => boolean) => Promise<void>;
  startShipping: () => Promise<void>;
  /** The `shipment` workflow started last, once the order saga `workflowId` has ended. */
  lastShipment: (workflowId: string) => Promise<string>;
}

/** An order (`tok_slow`) cancelled by its customer while its charge is in flight, before the pivot. */
async function cancelledWhileCharging(
  { client, until }: Recorder,
  start: Recorder['order'],
): Promise<{ workflowId: string }> {
  const workflowId = await start({ paymentToken: 'tok_slow' });
  await until(workflowId, (state) => state.steps.some((s) => s.name === 'chargePayment' && s.status === 'running'));
  const outcome = await cancelSaga(client, workflowId, 'the customer changed their mind');
  if (!outcome.accepted) throw new Error(`The cancellation was refused: ${outcome.reason}`);
  return { workflowId };
}

/** Each scenario starts its saga, drives it, and says whether to wait for its end. */
const scenarios: { name: string; run: (recorder: Recorder) => Promise<{ workflowId: string; leaveRunning?: true }> }[] =
  [
    {
      // Recorded first, while the shipping service is not yet running: the order waits for it.
      name: 'order-awaiting-shipment',
      run: async ({ order, until }) => {
        const workflowId = await order();
        await until(workflowId, (state) =>
          state.steps.some((s) => s.name === 'requestShipment' && s.status === 'running'),
        );
        return { workflowId, leaveRunning: true };
      },
    },
    { name: 'order-completed', run: async ({ order }) => ({ workflowId: await order() }) },
    {
      name: 'order-out-of-stock',
      run: async ({ order }) => ({
        workflowId: await order({ items: [{ sku: 'SKU-SOLD-OUT', quantity: 1 }] }),
      }),
    },
    {
      name: 'order-payment-declined',
      run: async ({ order }) => ({ workflowId: await order({ paymentToken: 'tok_declined' }) }),
    },
    {
      name: 'order-undeliverable',
      run: async ({ order }) => ({
        workflowId: await order({
          shippingAddress: undeliverableAddress,
        }),
      }),
    },
    {
      name: 'order-transient-payment-failures',
      run: async ({ order }) => ({ workflowId: await order({ paymentToken: 'tok_flaky_2' }) }),
    },
    { name: 'order-cancelled', run: (recorder) => cancelledWhileCharging(recorder, recorder.order) },
    {
      // A refund the provider refuses 6 times: the order escalates, and an operator's retry refunds it.
      name: 'order-refund-escalated-then-retried',
      run: async ({ client, order, until }) => {
        const workflowId = await order({ paymentToken: 'tok_refund_fails_6', shippingAddress: undeliverableAddress });
        await until(workflowId, (state) => state.status === 'needs_attention');
        const outcome = await resolveCompensation(client, workflowId, {
          step: 'chargePayment',
          action: 'retry',
          reason: 'the provider is back',
        });
        if (!outcome.accepted) throw new Error(`The resolution was refused: ${outcome.reason}`);
        return { workflowId };
      },
    },
    {
      name: 'shipment-dispatched',
      run: async ({ order, lastShipment }) => ({ workflowId: await lastShipment(await order()) }),
    },
    {
      name: 'shipment-rejected',
      run: async ({ order, lastShipment }) => ({
        workflowId: await lastShipment(await order({ shippingAddress: undeliverableAddress })),
      }),
    },
    {
      name: 'saga-escalated-then-resolved',
      run: async ({ client, service, saga, until }) => {
        const workflowId = await saga({
          plan: [
            { name: 'charge', compensation: { kind: 'failUntilFixed' } },
            { name: 'reserve' },
            { name: 'ship', behaviour: { kind: 'fail', type: 'Declined' } },
          ],
          options: { onCompensationFailure: 'escalate', compensationRetry: { maximumAttempts: 1 } },
        });
        await until(workflowId, (state) => state.status === 'needs_attention');
        service.fix(workflowId, 'charge');
        await resolveCompensation(client, workflowId, { step: 'charge', action: 'retry', reason: 'fixed' });
        return { workflowId };
      },
    },
    {
      name: 'saga-parallel-failure',
      run: async ({ saga }) => ({
        workflowId: await saga({
          plan: [
            { name: 'order' },
            {
              parallel: [
                { name: 'stock', behaviour: { kind: 'succeed', delayMs: 50 } },
                { name: 'payment', behaviour: { kind: 'fail', type: 'PaymentDeclined' } },
                { name: 'label', behaviour: { kind: 'succeed', delayMs: 300 } },
              ],
            },
          ],
        }),
      }),
    },
    { name: 'order-nexus-completed', run: async ({ nexusOrder }) => ({ workflowId: await nexusOrder() }) },
    {
      name: 'order-nexus-undeliverable',
      run: async ({ nexusOrder }) => ({ workflowId: await nexusOrder({ shippingAddress: undeliverableAddress }) }),
    },
    { name: 'order-nexus-cancelled', run: (recorder) => cancelledWhileCharging(recorder, recorder.nexusOrder) },
    {
      name: 'saga-nexus-declined',
      run: async ({ nexusSaga }) => ({ workflowId: await nexusSaga({ charge: 'declineByHandlerError' }) }),
    },
    {
      name: 'saga-nexus-cancelled',
      run: async ({ client, nexusSaga, until }) => {
        const workflowId = await nexusSaga({ hold: 'holdUntilCancelled', charge: 'succeed' });
        await until(workflowId, (state) => state.steps?.[0]?.status === 'running');
        await cancelSaga(client, workflowId, 'recorded cancellation');
        return { workflowId };
      },
    },
  ];

/**
 * The history as the Temporal CLI writes it (`temporal workflow show --output json`): the same proto3 JSON that
 * `temporal workflow show` gives an operator and that `historyFromJSON` reads back.
 */
function historyJson(cliPath: string, address: string, workflowId: string): string {
  return execFileSync(
    cliPath,
    ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '--output', 'json'],
    {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

function tagArgument(): string {
  const index = process.argv.indexOf('--tag');
  const tag = index >= 0 ? process.argv[index + 1] : 'latest';
  if (!tag || !/^[\w.-]+$/.test(tag))
    throw new Error('Usage: npm run histories:record -- --tag <letters, digits, . _ ->');
  return tag;
}

function codeVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'workflows'], { encoding: 'utf8' }).trim();
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  // The scenarios fail activities on purpose; the SDK's warning for each is noise here.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = await startDevServer({ namespaces: [...nexusServices] });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-record-'));
  const configEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    DATA_DIR: dataDir,
    PAYLOAD_KEYS: '',
    PAYLOAD_KEY_FILE: fixtureKeyFile,
  };
  const config = loadConfig(configEnv);
  const { dataConverter } = await loadPayloadEncryption(config);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  const deps = { connection: nativeConnection, namespace: 'default', client, config, dataConverter };
  const running: RunningServices[] = [await startServices(deps, { only: ['orders', 'inventory', 'payments'] })];
  // The Nexus wiring's services, on task queues of their own, in their namespaces; its sagas' orders service is the
  // one above.
  const nexusConfig = loadConfig({ ...configEnv, ...nexusWiringEnv('fixtures') });
  await ensureNexusEndpoints(connection, nexusConfig.nexus!, nexusConfig.taskQueues);
  running.push(await startServices({ ...deps, config: nexusConfig }, { only: nexusServices }));
  const service = new TestService();
  const nexusEndpoint = 'saga-fixtures-payments';
  await connection.operatorService.createNexusEndpoint({
    spec: { name: nexusEndpoint, target: { worker: { namespace: 'default', taskQueue: sagaTestQueue } } },
  });
  const sagaWorker = await Worker.create({
    connection: nativeConnection,
    dataConverter,
    taskQueue: sagaTestQueue,
    workflowsPath: require.resolve('../test/sagas/workflows'),
    interceptors: { workflowModules: sagaInterceptorModules },
    activities: createSagaTestActivities(service),
    nexusServices: [createTestPaymentsHandler().handler],
  });
  const sagaWorkerRun = sagaWorker.run();

  const startOrder = async (orders: ReturnType<typeof orderTrigger>, overrides: Partial<PlaceOrderRequest>) => {
    const orderId = randomUUID();
    await startSaga(client, orders.workflow, {
      workflowId: orderWorkflowId(orderId),
      taskQueue: orders.taskQueue,
      args: orders.args(orderRequest(overrides), orderId),
    });
    return orderWorkflowId(orderId);
  };
  const recorder: Recorder = {
    client,
    service,
    order: (overrides = {}) => startOrder(orderTrigger(), overrides),
    nexusOrder: (overrides = {}) =>
      startOrder(orderTrigger(config.taskQueues, nexusEndpointsOf(nexusConfig.nexus)), overrides),
    saga: async (input) => {
      const workflowId = `saga-${randomUUID()}`;
      await client.workflow.start('scriptedSaga', { taskQueue: sagaTestQueue, workflowId, args: [input] });
      return workflowId;
    },
    nexusSaga: async (input) => {
      const workflowId = `nexus-saga-${randomUUID()}`;
      await client.workflow.start('nexusSaga', {
        taskQueue: sagaTestQueue,
        workflowId,
        args: [{ endpoint: nexusEndpoint, ...input }],
      });
      return workflowId;
    },
    until: async (workflowId, predicate) => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        if (predicate(await getSagaState(client, workflowId).catch(() => ({}) as never))) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`${workflowId} did not reach the expected state`);
    },
    startShipping: async () => {
      running.push(await startServices(deps, { only: ['shipping'] }));
    },
    lastShipment: async (workflowId) => {
      await client.workflow
        .getHandle(workflowId)
        .result()
        .catch(() => undefined);
      let last: { workflowId: string; startTime: Date } | undefined;
      for await (const execution of client.workflow.list({ query: "WorkflowType = 'shipment'" })) {
        if (!last || execution.startTime > last.startTime) last = execution;
      }
      if (!last) throw new Error(`No shipment workflow was started for ${workflowId}`);
      return last.workflowId;
    },
  };

  const tag = tagArgument();
  const manifestPath = path.join(historiesDir, 'manifest.json');
  const earlier = existsSync(manifestPath)
    ? (JSON.parse(await readFile(manifestPath, 'utf8')) as FixtureEntry[]).filter((entry) => entry.tag !== tag)
    : [];
  const manifest: FixtureEntry[] = [];
  const version = codeVersion();
  try {
    await rm(path.join(historiesDir, tag), { recursive: true, force: true });
    await mkdir(path.join(historiesDir, tag), { recursive: true });
    for (const [index, scenario] of scenarios.entries()) {
      if (index === 1) await recorder.startShipping();
      process.stdout.write(`recording ${scenario.name}… `);
      const { workflowId, leaveRunning } = await scenario.run(recorder);
      const handle = client.workflow.getHandle(workflowId);
      if (!leaveRunning) await handle.result().catch(() => undefined);
      const description = await handle.describe();
      const file = `${tag}/${scenario.name}.json`;
      if (!server.cliPath)
        throw new Error(
          'Recording needs the temporal CLI binary (see docs/configuration.md, The Temporal server binary).',
        );
      await writeFile(path.join(historiesDir, file), historyJson(server.cliPath, server.address, workflowId));
      manifest.push({
        tag,
        scenario: scenario.name,
        file,
        workflowType: description.type as FixtureEntry['workflowType'],
        workflowId,
        status: leaveRunning ? 'running' : description.status.name.toLowerCase(),
        codeVersion: version,
        recordedAt: new Date().toISOString(),
      });
      console.log(manifest.at(-1)?.status);
    }
    await writeFile(manifestPath, JSON.stringify([...earlier, ...manifest], null, 2) + '\n');
    console.log(
      `${manifest.length} histories written to ${path.relative(process.cwd(), path.join(historiesDir, tag))}`,
    );
  } finally {
    sagaWorker.shutdown();
    await sagaWorkerRun;
    for (const services of running) await services.shutdown();
    await connection.close();
    await nativeConnection.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
