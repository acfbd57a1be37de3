/** All four service workers in one process: what `npm start` and the test suite run. */
import type { Worker } from '@temporalio/worker';
import { createInventoryWorker } from './inventory';
import { createOrdersWorker } from './orders';
import { createPaymentsWorker } from './payments';
import type { ServiceWorkerDeps, WorkflowSource } from './service-worker';
import { createShippingWorker } from './shipping';

export interface ServiceWorkers {
  workers: Worker[];
  /** Settles when every worker has stopped; rejects if one fails. */
  running: Promise<void>;
  /** Stops polling, lets in-flight tasks finish, and waits for every worker to stop. */
  shutdown: () => Promise<void>;
}

export async function startServiceWorkers(
  deps: ServiceWorkerDeps,
  workflows?: WorkflowSource,
): Promise<ServiceWorkers> {
  const workers = await Promise.all([
    createOrdersWorker(deps, workflows),
    createInventoryWorker(deps),
    createPaymentsWorker(deps),
    createShippingWorker(deps),
  ]);
  const running = Promise.all(workers.map((worker) => worker.run())).then(() => undefined);
  return {
    workers,
    running,
    shutdown: async () => {
      for (const worker of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      }
      await running;
    },
  };
}
