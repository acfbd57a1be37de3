/**
 * The order API, declared once on the framework's HTTP trigger: the `placeOrder` saga with its input schema,
 * business key, Web UI metadata, order status, list filters, and the one step a client may wait for (the
 * payment). Every route and OpenAPI entry under `/orders` comes from this.
 */
import { z } from 'zod';
import type { OrderItem } from '../../activities/orders';
import { formatMoney, OrderStep, orderTotalCents, placeOrder } from '../../workflows/order';
import { textTable } from '../../workflows/saga';
import { CustomerIdKey, OrderTotalKey } from '../../workflows/search-attributes';
import type { TaskQueues } from '../../workflows/task-queues';
import { defaultTaskQueues } from '../../workflows/task-queues';
import type { SagaTrigger } from '../saga/trigger';
import { CustomerIdSchema, PlaceOrderRequestSchema } from './schema';
import { orderStatuses, orderStatusOf, orderStatusOfPublished, orderStatusQuery } from './status';

/** The order's workflow id: its business key, so an order id names exactly one saga. */
export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

function itemCount(items: readonly OrderItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity, 0);
}

/**
 * The order API's declaration. `taskQueues`: where the services poll (config `<SERVICE>_TASK_QUEUE`); the saga
 * starts on the orders queue and gets the names with its input, so that it calls each service where it polls.
 */
export function orderTrigger(
  taskQueues: TaskQueues = defaultTaskQueues,
): SagaTrigger<typeof PlaceOrderRequestSchema, typeof placeOrder> {
  return {
    resource: 'orders',
    singular: 'order',
    input: PlaceOrderRequestSchema,
    workflow: placeOrder,
    workflowType: 'placeOrder',
    taskQueue: taskQueues.orders,
    workflowId: orderWorkflowId,
    args: (request, orderId) => [{ orderId, ...request, taskQueues }],
    summary: (request, orderId) =>
      `Order ${orderId}: ${itemCount(request.items)} item(s), ${formatMoney(orderTotalCents(request.items))}, customer ${request.customerId}`,
    details: (request) =>
      [
        ...textTable(
          [
            ['SKU', 'quantity', 'unit price', 'line total'],
            ...request.items.map((item) => [
              item.sku,
              String(item.quantity),
              formatMoney(item.unitPriceCents),
              formatMoney(item.quantity * item.unitPriceCents),
            ]),
          ],
          [1, 2, 3],
        ),
        '',
        `Ship to ${request.shippingAddress.city}, ${request.shippingAddress.country}.`,
      ].join('\n'),
    searchAttributes: (request) => [
      { key: CustomerIdKey, value: request.customerId },
      { key: OrderTotalKey, value: orderTotalCents(request.items) },
    ],
    status: { values: orderStatuses, of: orderStatusOf, ofPublished: orderStatusOfPublished },
    filters: {
      status: {
        schema: z.enum(orderStatuses),
        clause: (status) => orderStatusQuery[status as keyof typeof orderStatusQuery],
        description: "Only orders in this status (from their saga's search attributes).",
      },
      customerId: {
        schema: CustomerIdSchema,
        clause: (customerId) => `CustomerId = '${customerId}'`,
        description: "Only this customer's orders.",
      },
    },
    waitPoints: { charged: OrderStep.ChargePayment },
    failureStatus: { PaymentDeclined: 402, FraudSuspected: 402, OutOfStock: 409, UnknownSku: 409 },
  };
}
