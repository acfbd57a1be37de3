/**
 * The shipping service: shipment requests (completed asynchronously) and its own `shipment` workflows, on the
 * `shipping` task queue.
 */
import { createShippingActivities } from '../activities/shipping';
import type { ShippingSchema } from '../activities/shipping/schema';
import { shippingMigrations } from '../activities/shipping/schema';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps, WorkflowSource } from './service-worker';
import { createService, workflowSource } from './service-worker';

export function createShippingService(
  deps: ServiceDeps,
  workflows: WorkflowSource = workflowSource(deps.config),
  options: { dispatchDelayMs?: number } = {},
): Promise<Service> {
  return createService<ShippingSchema>('shipping', deps, shippingMigrations, (db) => ({
    ...workflows,
    activities: createShippingActivities({
      db,
      client: deps.client,
      taskQueue: deps.config.taskQueues.shipping,
      ...options,
    }),
  }));
}

if (require.main === module) runServiceProcess((deps) => createShippingService(deps));
