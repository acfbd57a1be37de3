/** The orders service's worker: runs the `placeOrder` saga on the `orders` task queue. */
import { Worker } from '@temporalio/worker';
import { TaskQueue } from '../workflows/task-queues';
import { runServiceProcess } from './service-process';
import type { ServiceWorkerDeps, WorkflowSource } from './service-worker';
import { serviceWorkerOptions, workflowsPath } from './service-worker';

export function createOrdersWorker(
  deps: ServiceWorkerDeps,
  workflows: WorkflowSource = { workflowsPath },
): Promise<Worker> {
  return Worker.create({ ...serviceWorkerOptions, ...deps, ...workflows, taskQueue: TaskQueue.Orders });
}

if (require.main === module) runServiceProcess('orders', (deps) => createOrdersWorker(deps));
