/**
 * Runs one service as its own process, as production does (one deployment per service, scaled on its own).
 * SIGINT and SIGTERM drain it: the SDK stops polling, lets in-flight tasks finish, then `run()` returns and the
 * service's database and connections close.
 */
import { Client } from '@temporalio/client';
import { describePayloadEncryption, loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';
import { connectToTemporal, reportFatalError } from '../config/startup';
import { temporalConnectionOptions } from '../config/temporal';
import type { Service, ServiceDeps } from './service-worker';
import { installWorkerRuntime } from './service-worker';

export function runServiceProcess(create: (deps: ServiceDeps) => Promise<Service>): void {
  const serve = async () => {
    const config = loadConfig();
    installWorkerRuntime(config);
    const encryption = await loadPayloadEncryption(config);
    if (encryption.createdDevelopmentKey)
      console.log(`Payloads encrypted with ${describePayloadEncryption(encryption)}`);
    const { dataConverter } = encryption;
    const connectionOptions = temporalConnectionOptions(config);
    const { nativeConnection, connection } = await connectToTemporal(connectionOptions);
    try {
      const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
      const service = await create({
        connection: nativeConnection,
        namespace: config.temporal.namespace,
        client,
        config,
        dataConverter,
      });
      console.log(
        `${service.name} service: polling task queue '${config.taskQueues[service.name]}' in namespace '${service.namespace}' on ${connectionOptions.address}; data in ${service.database}` +
          (service.workflows ? `; workflows: ${service.workflows}` : '') +
          ` (worker created in ${service.workerCreatedMs} ms)`,
      );
      await service.run();
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
  };
  serve().catch(reportFatalError);
}
