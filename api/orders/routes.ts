/**
 * The order routes. `POST /orders` starts the `placeOrder` saga and answers 202 at once: the API holds only a
 * Temporal client and never calls a service, so no service's health ever shows in its latency.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { CustomerIdKey, OrderTotalKey } from '../../workflows/search-attributes';
import { sagaStateQuery } from '../../workflows/saga';
import { orderTotalCents, placeOrder } from '../../workflows/order';
import { TaskQueue } from '../../workflows/task-queues';
import { HttpProblem, ProblemType, validationProblem } from '../problem';
import { OrderIdSchema, PlaceOrderRequestSchema } from './schema';

export interface OrderRoutesDeps {
  client: Client;
  /** Base URL of the Temporal Web UI, to link each order to its workflow page. */
  webUiUrl?: string | undefined;
}

/** The order's workflow id: its business key, so an order id names exactly one saga. */
export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

export function createOrderRoutes({ client, webUiUrl }: OrderRoutesDeps): Router {
  const router = Router();
  const links = (orderId: string) => ({
    self: `/orders/${orderId}`,
    ...(webUiUrl
      ? {
          webUi: `${webUiUrl}/namespaces/${encodeURIComponent(client.options.namespace)}/workflows/${encodeURIComponent(orderWorkflowId(orderId))}`,
        }
      : {}),
  });

  router.post('/', async (req, res) => {
    const parsed = PlaceOrderRequestSchema.safeParse(req.body);
    if (!parsed.success) throw validationProblem(parsed.error);
    const orderId = randomUUID();
    const order = { orderId, ...parsed.data };
    await client.workflow.start(placeOrder, {
      taskQueue: TaskQueue.Orders,
      workflowId: orderWorkflowId(orderId),
      args: [order],
      typedSearchAttributes: [
        { key: CustomerIdKey, value: order.customerId },
        { key: OrderTotalKey, value: orderTotalCents(order.items) },
      ],
    });
    res
      .status(202)
      .location(`/orders/${orderId}`)
      .json({ orderId, status: 'accepted', links: links(orderId) });
  });

  router.get('/:orderId', async (req, res) => {
    const orderId = req.params.orderId;
    const notFound = new HttpProblem(ProblemType.NotFound, `There is no order ${orderId}.`);
    if (!OrderIdSchema.safeParse(orderId).success) throw notFound;
    try {
      const state = await client.workflow.getHandle(orderWorkflowId(orderId)).query(sagaStateQuery);
      res.json({ orderId, ...state, links: links(orderId) });
    } catch (error) {
      if ((error as Error).name === 'WorkflowNotFoundError') throw notFound;
      throw error;
    }
  });

  return router;
}
