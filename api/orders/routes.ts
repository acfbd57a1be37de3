/**
 * The order routes. `POST /orders` starts the `placeOrder` saga and answers 202 at once: the API holds only a
 * Temporal client and never calls a service, so no service's health ever shows in its latency.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { PlaceOrderInput } from '../../workflows/order';
import { orderStatusOf, orderTotalCents, placeOrder } from '../../workflows/order';
import { CustomerIdKey, OrderTotalKey } from '../../workflows/search-attributes';
import { TaskQueue } from '../../workflows/task-queues';
import { HttpProblem, ProblemType, validationProblem } from '../problem';
import { getSagaState, startSaga } from '../saga/client';
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

function money(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** The one line the Web UI shows for the order's saga. */
function orderSummary(order: PlaceOrderInput): string {
  const count = order.items.reduce((sum, item) => sum + item.quantity, 0);
  return `Order ${order.orderId}: ${count} item(s), ${money(orderTotalCents(order.items))}, customer ${order.customerId}`;
}

/** The order's items as a markdown table, for the Web UI's metadata. */
function orderDetails(order: PlaceOrderInput): string {
  return [
    '| SKU | Quantity | Unit price | Line total |',
    '|-----|---------:|-----------:|-----------:|',
    ...order.items.map(
      (item) =>
        `| ${item.sku} | ${item.quantity} | ${money(item.unitPriceCents)} | ${money(item.quantity * item.unitPriceCents)} |`,
    ),
    '',
    `Ship to ${order.shippingAddress.city}, ${order.shippingAddress.country}.`,
  ].join('\n');
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
    const order: PlaceOrderInput = { orderId, ...parsed.data };
    await startSaga(client, placeOrder, {
      workflowId: orderWorkflowId(orderId),
      taskQueue: TaskQueue.Orders,
      args: [order],
      summary: orderSummary(order),
      details: orderDetails(order),
      searchAttributes: [
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
      const state = await getSagaState(client, orderWorkflowId(orderId));
      res.json({ orderId, status: orderStatusOf(state), saga: state, links: links(orderId) });
    } catch (error) {
      if ((error as Error).name === 'WorkflowNotFoundError') throw notFound;
      throw error;
    }
  });

  return router;
}
