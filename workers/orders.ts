/** The orders service: runs the `placeOrder` saga and the orders activities on the `orders` task queue. */
import { createOrdersActivities } from '../activities/orders';
import type { OrdersSchema } from '../activities/orders/schema';
import { ordersMigrations } from '../activities/orders/schema';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps, WorkflowSource } from './service-worker';
import { createService, workflowSource } from './service-worker';

export function createOrdersService(
  deps: ServiceDeps,
  workflows: WorkflowSource = workflowSource(deps.config),
): Promise<Service> {
  return createService<OrdersSchema>('orders', deps, ordersMigrations, (db) => ({
    ...workflows,
    activities: createOrdersActivities({ db }),
  }));
}

if (require.main === module) runServiceProcess((deps) => createOrdersService(deps));
