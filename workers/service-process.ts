/**
 * Runs one service's worker as its own process, as production does (one deployment per service). SIGINT and
 * SIGTERM drain it: the SDK stops polling, lets in-flight tasks finish, then `run()` returns.
 */
import type { Worker } from '@temporalio/worker';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import type { ServiceWorkerDeps } from './service-worker';
import { serviceWorkerLogger } from './service-worker';

export function runServiceProcess(service: string, create: (deps: ServiceWorkerDeps) => Promise<Worker>): void {
  const config = loadConfig();
  Runtime.install({ logger: serviceWorkerLogger });
  const connectionOptions = temporalConnectionOptions(config);
  const serve = async () => {
    const connection = await NativeConnection.connect(connectionOptions);
    try {
      const worker = await create({ connection, namespace: config.temporal.namespace });
      console.log(
        `${service} worker: polling task queue '${worker.options.taskQueue}' on ${connectionOptions.address}`,
      );
      await worker.run();
    } finally {
      await connection.close();
    }
  };
  serve().catch((error: unknown) => {
    console.error(`${service} worker failed:`, error);
    process.exitCode = 1;
  });
}
