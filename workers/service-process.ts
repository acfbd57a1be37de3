/**
 * Runs one service as its own process, as production does (one deployment per service, scaled on its own).
 * SIGINT and SIGTERM drain it: the SDK stops polling, lets in-flight tasks finish, then `run()` returns and the
 * service's database and connections close.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import type { Service, ServiceDeps } from './service-worker';
import { serviceWorkerLogger } from './service-worker';

export function runServiceProcess(create: (deps: ServiceDeps) => Promise<Service>): void {
  const config = loadConfig();
  Runtime.install({ logger: serviceWorkerLogger });
  const connectionOptions = temporalConnectionOptions(config);
  const serve = async () => {
    const connection = await NativeConnection.connect(connectionOptions);
    const clientConnection = await Connection.connect(connectionOptions);
    try {
      const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
      const service = await create({ connection, namespace: config.temporal.namespace, client, config });
      console.log(
        `${service.name} service: polling task queue '${service.name}' on ${connectionOptions.address}; data in ${service.database}`,
      );
      try {
        await service.worker.run();
      } finally {
        await service.close();
      }
    } finally {
      await clientConnection.close();
      await connection.close();
    }
  };
  serve().catch((error: unknown) => {
    console.error('The service failed:', error);
    process.exitCode = 1;
  });
}
