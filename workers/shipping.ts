/**
 * The shipping service: shipment requests (completed asynchronously) and its own `shipment` workflows, on the
 * `shipping` task queue; beside its worker, the loop that keeps waiting orders' steps alive
 * (activities/shipping/waiting-orders.ts).
 */
import type { ShippingDeps } from '../activities/shipping';
import { createShippingActivities } from '../activities/shipping';
import type { ShippingSchema } from '../activities/shipping/schema';
import { shippingMigrations } from '../activities/shipping/schema';
import type { WaitingOrdersOptions } from '../activities/shipping/waiting-orders';
import { keepOrdersWaiting } from '../activities/shipping/waiting-orders';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps, WorkflowSource } from './service-worker';
import { createService, workflowSource } from './service-worker';

/**
 * Activities a shipping worker runs at once. Shipments started before the service kept orders waiting itself each
 * hold one slot with their deprecated keep-alive, which sleeps between beats, so the worker takes far more than the
 * SDK's 100; keep-alives may hold all but `forDecisions` of them, so that shipments can always be decided.
 */
const activitySlots = { total: 1000, forDecisions: 100 } as const;

export function createShippingService(
  deps: ServiceDeps,
  workflows: WorkflowSource = workflowSource(deps.config),
  options: Pick<ShippingDeps, 'dispatchDelayMs' | 'handOverDelayMs'> & WaitingOrdersOptions = {},
): Promise<Service> {
  const { dispatchDelayMs, handOverDelayMs, ...waiting } = options;
  const { client } = deps;
  const taskQueue = deps.config.taskQueues.shipping;
  return createService<ShippingSchema>(
    'shipping',
    deps,
    shippingMigrations,
    (db) => ({
      ...workflows,
      maxConcurrentActivityTaskExecutions: activitySlots.total,
      activities: createShippingActivities({
        db,
        client,
        taskQueue,
        maxOrdersKeptWaiting: activitySlots.total - activitySlots.forDecisions,
        dispatchDelayMs,
        handOverDelayMs,
      }),
    }),
    (db) => (stopping) => keepOrdersWaiting({ db, client, taskQueue, ...waiting }, stopping),
  );
}

if (require.main === module) runServiceProcess((deps) => createShippingService(deps));
