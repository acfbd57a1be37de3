/**
 * Temporal's time-skipping test server, for the engine's tests where time must jump (deadlines, retries over
 * days): the project's pinned binary, the run's data converter, and the search attributes the sagas write.
 */
import type { DataConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { resolveServerBinary, TemporalTestServer } from '../workers/temporal-binary';
import { testDataConverter } from './env';
import { registerSearchAttributes } from './search-attributes';

export async function startTimeSkippingServer(): Promise<{
  environment: TestWorkflowEnvironment;
  dataConverter: DataConverter;
}> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const { executable } = await resolveServerBinary(TemporalTestServer);
  const dataConverter = await testDataConverter();
  const environment = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable },
    client: { dataConverter },
  });
  // The test server knows no custom search attributes until told, and sagas write theirs on every step.
  await registerSearchAttributes(environment.connection, environment.namespace ?? 'default');
  return { environment, dataConverter };
}
