/** The shipping service's worker: its activities on the `shipping` task queue. */
import type { Worker } from '@temporalio/worker';
import type { ShippingDeps } from '../activities/shipping';
import { createShippingActivities } from '../activities/shipping';
import { TaskQueue } from '../workflows/task-queues';
import { runServiceProcess } from './service-process';
import type { ServiceWorkerDeps } from './service-worker';
import { createActivityWorker } from './service-worker';

export function createShippingWorker(
  deps: ServiceWorkerDeps,
  shipping: ShippingDeps = { shipments: new Map() },
): Promise<Worker> {
  return createActivityWorker(deps, TaskQueue.Shipping, createShippingActivities(shipping));
}

if (require.main === module) runServiceProcess('shipping', (deps) => createShippingWorker(deps));
