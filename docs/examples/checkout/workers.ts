/**
 * The workers: one per service, each on its own task queue. The checkout saga runs on `checkout`; the interceptor
 * module gives every activity a step calls (through `sagaActivities` or the SDK's own `proxyActivities`) the step's
 * id, summary and compensation retry.
 */
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { registerSearchAttributes, sagaInterceptorModules } from 'temporal-saga/worker';
import { createPaymentsActivities, createShippingActivities } from './activities';

export async function runWorkers(address: string, namespace = 'default'): Promise<void> {
  // Once per namespace, before sagas run in it (the dev server takes them as flags instead).
  await registerSearchAttributes(await Connection.connect({ address }), namespace);
  const connection = await NativeConnection.connect({ address });
  const workers = await Promise.all([
    Worker.create({
      connection,
      namespace,
      taskQueue: 'checkout',
      workflowsPath: require.resolve('./workflows'),
      interceptors: { workflowModules: sagaInterceptorModules },
    }),
    Worker.create({
      connection,
      namespace,
      taskQueue: 'payments',
      activities: createPaymentsActivities({ charges: new Map(), refunded: new Set() }),
    }),
    Worker.create({ connection, namespace, taskQueue: 'shipping', activities: createShippingActivities(new Map()) }),
  ]);
  await Promise.all(workers.map((worker) => worker.run()));
}
