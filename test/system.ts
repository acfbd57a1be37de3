/**
 * The system under test, in the test process: the four real service workers (the shared workflow bundle) and
 * the real HTTP API on a free port, both connected to the run's real Temporal server.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createApp } from '../api/app';
import { listen } from '../api/server';
import { serviceWorkerLogger } from '../workers/service-worker';
import { startServiceWorkers } from '../workers/service-workers';
import { readTestEnv } from './env';

export interface TestSystem {
  /** The API's base URL, e.g. `http://127.0.0.1:40123`. */
  apiUrl: string;
  client: Client;
  stop: () => Promise<void>;
}

export async function startTestSystem(): Promise<TestSystem> {
  const { address, namespace, workflowBundlePath } = readTestEnv();
  installQuietRuntime();
  const nativeConnection = await NativeConnection.connect({ address });
  const workers = await startServiceWorkers(
    { connection: nativeConnection, namespace },
    { workflowBundle: { codePath: workflowBundlePath } },
  );
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const http = await listen(createApp({ client, webUiUrl: 'http://localhost:8233' }), { host: '127.0.0.1', port: 0 });
  return {
    apiUrl: http.url,
    client,
    stop: async () => {
      await http.close();
      await workers.shutdown();
      await connection.close();
      await nativeConnection.close();
    },
  };
}

let runtimeInstalled = false;

function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: serviceWorkerLogger });
  runtimeInstalled = true;
}
