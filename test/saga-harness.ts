/**
 * The engine's test bench: the framework's testing kit (workers/saga/testing.ts) running the test sagas
 * (test/sagas) and their test activities on a task queue of its own, against the run's real Temporal server, and
 * helpers to start and inspect sagas.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { Client, Connection } from '@temporalio/client';
import type { Logger, WorkerOptions } from '@temporalio/worker';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { SagaTestBench } from '../workers/saga/testing';
import type { SagaState } from '../workflows/saga';
import { sagaStateQuery } from '../workflows/saga';
import { readTestEnv, testDataConverter } from './env';
import { eventually } from './http';
import { createSagaTestActivities, TestService } from './sagas/activities';
import type { handWrittenSaga, ScriptedSagaInput, scriptedSaga } from './sagas/workflows';

export type TestSaga = WorkflowHandle<typeof scriptedSaga>;

export interface SagaHarness {
  /** The testing kit's bench underneath: run a saga with failures injected, read its path. */
  kit: SagaTestBench;
  client: Client;
  /** The worker's own task queue. */
  taskQueue: string;
  service: TestService;
  start(input: ScriptedSagaInput, workflowType?: 'scriptedSaga' | 'handWrittenSaga'): Promise<TestSaga>;
  /** Polls the saga's state until `predicate` holds, and returns that state. */
  stateWhen(saga: TestSaga, predicate: (state: SagaState) => boolean): Promise<SagaState>;
  /** Stops the worker (its workflow cache goes with it) and starts a new one on the same queue. */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * `metricsPort`: serve the worker's metrics (the SDK's and the sagas' counters) on a Prometheus endpoint; `logger`:
 * the worker's logger; `nexusServices`: Nexus handlers the worker serves too, on its task queue. The SDK's runtime
 * is per process and installed by the first harness of a test file, so only that one's options count.
 */
export async function startSagaHarness(
  options: { metricsPort?: number; logger?: Logger; nexusServices?: WorkerOptions['nexusServices'] } = {},
): Promise<SagaHarness> {
  const { address, namespace, sagaBundlePath } = readTestEnv();
  if (!runtimeInstalled) {
    Runtime.install({
      // These tests fail activities and sagas on purpose; the SDK's warning for each would bury real errors.
      logger: options.logger ?? new DefaultLogger('ERROR'),
      ...(options.metricsPort !== undefined
        ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${options.metricsPort}` } } } }
        : {}),
    });
    runtimeInstalled = true;
  }
  const service = new TestService();
  const dataConverter = await testDataConverter();
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace, dataConverter });
  const bench = await SagaTestBench.start({
    env: { client, nativeConnection, namespace },
    workflowBundle: { codePath: sagaBundlePath },
    activities: createSagaTestActivities(service),
    taskQueue: `saga-tests-${randomUUID()}`,
    worker: { dataConverter, ...(options.nexusServices ? { nexusServices: options.nexusServices } : {}) },
  });
  const { taskQueue } = bench;

  return {
    kit: bench,
    client,
    taskQueue,
    service,
    start: (input, workflowType = 'scriptedSaga') =>
      client.workflow.start<typeof scriptedSaga | typeof handWrittenSaga>(workflowType, {
        taskQueue,
        workflowId: `saga-${randomUUID()}`,
        args: [input],
      }),
    stateWhen: (saga, predicate) =>
      eventually(async () => {
        const state = await saga.query(sagaStateQuery);
        return predicate(state) ? state : undefined;
      }),
    restartWorker: () =>
      bench.restartWorker(() => {
        service.worker += 1;
      }),
    stop: async () => {
      await bench.stop();
      await connection.close();
      await nativeConnection.close();
    },
  };
}
