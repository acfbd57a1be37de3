/**
 * The orders service: runs the `placeOrder` saga and the orders activities on the `orders` task queue. With
 * `METRICS_PORT`, it also reports how many of its orders wait for an operator now (`saga_needs_attention_current`).
 */
import { once } from 'node:events';
import { createOrdersActivities } from '../activities/orders';
import type { OrdersSchema } from '../activities/orders/schema';
import { ordersMigrations } from '../activities/orders/schema';
import { startNeedsAttentionGauge } from './saga';
import { runServiceProcess } from './service-process';
import type { Companion, Service, ServiceDeps, WorkflowSource } from './service-worker';
import { createService, workflowSource } from './service-worker';

/** How often the orders service counts its orders in `needs_attention`: one visibility request each time. */
const needsAttentionCountIntervalMs = 5000;

export function createOrdersService(
  deps: ServiceDeps,
  workflows: WorkflowSource = workflowSource(deps.config),
): Promise<Service> {
  const taskQueue = deps.config.taskQueues.orders;
  const countNeedsAttention: Companion = async (stopping) => {
    const gauge = startNeedsAttentionGauge({
      client: deps.client,
      intervalMs: needsAttentionCountIntervalMs,
      query: `WorkflowType = 'placeOrder' AND TaskQueue = '${taskQueue}'`,
      tags: { namespace: deps.namespace, taskQueue, workflowType: 'placeOrder' },
    });
    await once(stopping, 'abort');
    await gauge.stop();
  };
  return createService<OrdersSchema>(
    'orders',
    deps,
    ordersMigrations,
    (db) => ({ ...workflows, activities: createOrdersActivities({ db }) }),
    deps.config.metricsPort === undefined ? undefined : () => countNeedsAttention,
  );
}

if (require.main === module) runServiceProcess((deps) => createOrdersService(deps));
