/**
 * The shipping service: shipment requests (completed asynchronously) and its own `shipment` workflows, on the
 * `shipping` task queue.
 */
import type { ShippingDeps } from '../activities/shipping';
import { createShippingActivities } from '../activities/shipping';
import type { ShippingSchema } from '../activities/shipping/schema';
import { shippingMigrations } from '../activities/shipping/schema';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps, WorkflowSource } from './service-worker';
import { createService, workflowSource } from './service-worker';

/**
 * Activities a shipping worker runs at once. Every undecided shipment holds one slot with its keep-alive, which
 * sleeps between beats, so the worker takes far more than the SDK's 100; keep-alives may hold all but
 * `forDecisions` of them, so that shipments can always be decided (and their keep-alives end).
 */
const activitySlots = { total: 1000, forDecisions: 100 } as const;

export function createShippingService(
  deps: ServiceDeps,
  workflows: WorkflowSource = workflowSource(deps.config),
  options: Pick<ShippingDeps, 'dispatchDelayMs' | 'handOverDelayMs'> = {},
): Promise<Service> {
  return createService<ShippingSchema>('shipping', deps, shippingMigrations, (db) => ({
    ...workflows,
    maxConcurrentActivityTaskExecutions: activitySlots.total,
    activities: createShippingActivities({
      db,
      client: deps.client,
      taskQueue: deps.config.taskQueues.shipping,
      maxOrdersKeptWaiting: activitySlots.total - activitySlots.forDecisions,
      ...options,
    }),
  }));
}

if (require.main === module) runServiceProcess((deps) => createShippingService(deps));
