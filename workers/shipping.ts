/**
 * The shipping service: shipment requests (completed asynchronously) and its own `shipment` workflows, on the
 * `shipping` task queue; beside its worker, the loop that keeps waiting orders' steps alive
 * (activities/shipping/waiting-orders.ts). With `SERVICE_WIRING=nexus`, all of it in its own namespace, serving its
 * Nexus operation there too (activities/shipping/contract.ts).
 */
import type { ShippingDeps } from '../activities/shipping';
import { createShipping } from '../activities/shipping';
import { createShippingNexusHandler } from '../activities/shipping/nexus-handler';
import type { ShippingSchema } from '../activities/shipping/schema';
import { shippingMigrations } from '../activities/shipping/schema';
import type { WaitingOrdersOptions } from '../activities/shipping/waiting-orders';
import { keepOrdersWaiting } from '../activities/shipping/waiting-orders';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps, WorkflowSource } from './service-worker';
import { createService, depsInOwnNamespace, workflowSource } from './service-worker';

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
  const own = depsInOwnNamespace('shipping', deps);
  const { client } = own;
  const taskQueue = own.config.taskQueues.shipping;
  return createService<ShippingSchema>(
    'shipping',
    own,
    shippingMigrations,
    (db) => {
      const shipping = createShipping({
        db,
        client,
        taskQueue,
        maxOrdersKeptWaiting: activitySlots.total - activitySlots.forDecisions,
        dispatchDelayMs,
        handOverDelayMs,
      });
      return {
        ...workflows,
        maxConcurrentActivityTaskExecutions: activitySlots.total,
        activities: shipping.activities,
        ...(own.config.nexus ? { nexusServices: [createShippingNexusHandler(shipping)] } : {}),
      };
    },
    (db) => (stopping) => keepOrdersWaiting({ db, client, taskQueue, ...waiting }, stopping),
  );
}

if (require.main === module) runServiceProcess((deps) => createShippingService(deps));
