/** The inventory service's worker: its activities on the `inventory` task queue. */
import type { Worker } from '@temporalio/worker';
import type { InventoryDeps } from '../activities/inventory';
import { createInventoryActivities } from '../activities/inventory';
import { TaskQueue } from '../workflows/task-queues';
import { runServiceProcess } from './service-process';
import type { ServiceWorkerDeps } from './service-worker';
import { createActivityWorker } from './service-worker';

export function createInventoryWorker(
  deps: ServiceWorkerDeps,
  inventory: InventoryDeps = { reservations: new Map() },
): Promise<Worker> {
  return createActivityWorker(deps, TaskQueue.Inventory, createInventoryActivities(inventory));
}

if (require.main === module) runServiceProcess('inventory', (deps) => createInventoryWorker(deps));
