/**
 * The order API, declared once on the framework's HTTP trigger: the `placeOrder` saga with its input schema,
 * business key, Web UI metadata, order status, list filters, and the one step a client may wait for (the
 * payment). Every route and OpenAPI entry under `/orders` comes from this.
 *
 * Orders belong to their customer: a customer's token (its subject is their customer id) starts, lists, reads and
 * cancels their own orders only, and sees each one's timeline; operators do everything.
 *
 * The API knows no price: the inventory prices the order when the saga reserves its stock, and the saga publishes
 * the total (`OrderTotal`) and charges it. The Web UI texts hold what the customer typed only escaped.
 */
import { z } from 'zod';
import type { StockItem } from '../../activities/inventory';
import { OrderStep, placeOrder } from '../../workflows/order';
import type { PlaceOrderInput } from '../../workflows/order';
import { escapeMarkdown, textTable } from '../../workflows/saga';
import { CustomerIdKey } from '../../workflows/search-attributes';
import type { NexusEndpoints, TaskQueues } from '../../workflows/task-queues';
import { defaultTaskQueues } from '../../workflows/task-queues';
import { ownedBy } from '../saga/express';
import type { SagaTrigger } from '../saga/express';
import { CustomerIdSchema, PlaceOrderRequestSchema } from './schema';
import { orderStatuses, orderStatusOf, orderStatusOfPublished, orderStatusQuery } from './status';

/** The order's workflow id: its business key, so an order id names exactly one saga. */
export function orderWorkflowId(orderId: string): string {
  return `order-${orderId}`;
}

function itemCount(items: readonly StockItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity, 0);
}

/**
 * Where the saga finds its services: every task queue; in the Nexus wiring, the endpoints, and the task queues of the
 * services reached otherwise only (the orders'), so that nothing of another team's but its endpoint's name travels
 * with an order.
 */
function servicesOf(
  taskQueues: TaskQueues,
  nexusEndpoints: NexusEndpoints,
): Pick<PlaceOrderInput, 'taskQueues' | 'nexusEndpoints'> {
  if (Object.keys(nexusEndpoints).length === 0) return { taskQueues };
  const own = Object.entries(taskQueues).filter(([service]) => !(service in nexusEndpoints));
  return { taskQueues: Object.fromEntries(own), nexusEndpoints };
}

/**
 * The order API's declaration. `taskQueues`: where the services poll (config `<SERVICE>_TASK_QUEUE`); the saga
 * starts on the orders queue and gets the names with its input, so that it calls each service where it polls.
 * `nexusEndpoints`: the services it reaches over Nexus instead (`SERVICE_WIRING=nexus`), given with its input too.
 */
export function orderTrigger(
  taskQueues: TaskQueues = defaultTaskQueues,
  nexusEndpoints: NexusEndpoints = {},
): SagaTrigger<typeof PlaceOrderRequestSchema, typeof placeOrder> {
  return {
    resource: 'orders',
    singular: 'order',
    input: PlaceOrderRequestSchema,
    workflow: placeOrder,
    taskQueue: taskQueues.orders,
    workflowId: orderWorkflowId,
    args: (request, orderId) => [{ orderId, ...request, ...servicesOf(taskQueues, nexusEndpoints) }],
    summary: (request, orderId) =>
      `Order ${orderId}: ${itemCount(request.items)} item(s), customer ${escapeMarkdown(request.customerId)}`,
    details: (request) =>
      [
        // SKUs are letters, digits and `._-` (the schema): nothing in them can end the block.
        ...textTable([['SKU', 'quantity'], ...request.items.map((item) => [item.sku, String(item.quantity)])], [1]),
        '',
        'Priced by the inventory when the stock is reserved.',
        `Ship to ${escapeMarkdown(request.shippingAddress.city)}, ${escapeMarkdown(request.shippingAddress.country)}.`,
      ].join('\n'),
    searchAttributes: (request) => [{ key: CustomerIdKey, value: request.customerId }],
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
    access: ownedBy({
      ownerOf: (request) => request.customerId,
      searchAttribute: CustomerIdKey,
      subject: CustomerIdSchema,
    }),
  };
}
