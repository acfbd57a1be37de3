/** The payments service's worker: its activities on the `payments` task queue. */
import type { Worker } from '@temporalio/worker';
import type { PaymentsDeps } from '../activities/payments';
import { createPaymentsActivities } from '../activities/payments';
import { TaskQueue } from '../workflows/task-queues';
import { runServiceProcess } from './service-process';
import type { ServiceWorkerDeps } from './service-worker';
import { createActivityWorker } from './service-worker';

export function createPaymentsWorker(
  deps: ServiceWorkerDeps,
  payments: PaymentsDeps = { charges: new Map() },
): Promise<Worker> {
  return createActivityWorker(deps, TaskQueue.Payments, createPaymentsActivities(payments));
}

if (require.main === module) runServiceProcess('payments', (deps) => createPaymentsWorker(deps));
