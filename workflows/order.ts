/**
 * `placeOrder`: the order saga. It runs on the `orders` task queue and reaches each service only through that
 * service's own task queue, so a slow or dead service delays its own step (retried until it is back) and never
 * holds a caller's thread.
 *
 * create order → reserve stock → screen payment → charge payment → request shipment (the pivot) → confirm order ‖
 * commit stock → notify customer
 *
 * Shipping is asynchronous: the shipping service takes the request at once and answers when its own `shipment`
 * workflow has dispatched (or rejected) it; until then the order is `awaiting_shipment`. Dispatch is the point of
 * no return: a failure before it undoes what was done (cancel, release, refund); after it, steps only go forward.
 */
import type { InventoryActivities, Reservation, StockItem } from '../activities/inventory';
import type { Order, OrderItem, OrdersActivities } from '../activities/orders';
import type { Charge, PaymentsActivities } from '../activities/payments';
import type { ShipmentDispatched, ShippingActivities } from '../activities/shipping';
import { patched, workflowInfo } from '@temporalio/workflow';
import { runSaga, sagaActivities } from './saga';
import type { TaskQueues } from './task-queues';
import { defaultTaskQueues } from './task-queues';

export interface PlaceOrderInput extends Order {
  /** Where the services poll, when a deployment renamed their task queues. @default {@link defaultTaskQueues} */
  taskQueues?: Partial<TaskQueues>;
}

export interface PlacedOrder {
  orderId: string;
  reservation: Reservation;
  charge: Charge;
  shipment: ShipmentDispatched;
}

export const OrderStep = {
  CreateOrder: 'createOrder',
  ReserveStock: 'reserveStock',
  ScreenPayment: 'screenPayment',
  ChargePayment: 'chargePayment',
  RequestShipment: 'requestShipment',
  ConfirmOrder: 'confirmOrder',
  CommitStock: 'commitStock',
  NotifyCustomer: 'notifyCustomer',
} as const;

/** Every service call: a short timeout, retried with backoff until the service answers. */
const serviceActivity = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

/**
 * Shipping answers when the shipment is decided, not when the request is taken: allow it hours. While it decides,
 * its `shipment` workflow heartbeats the step every 5 s; 30 s without a beat means the request was lost with its
 * worker (killed, say, before it started the shipment workflow), and the step is retried, which hands the same
 * shipment over again. Retries back off to 5 s at most, not a minute, since one costs shipping a few row reads: a
 * lost request holds the order up 35 s at most (the timeout and one retry interval), or until shipping is back.
 */
const shipmentDecision = {
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '30 seconds',
  retry: { ...serviceActivity.retry, maximumInterval: '5 seconds' },
} as const;

/** Each service's activities, called on that service's task queue. */
function services(taskQueues: TaskQueues) {
  return {
    orders: sagaActivities<OrdersActivities>({ ...serviceActivity, taskQueue: taskQueues.orders }),
    inventory: sagaActivities<InventoryActivities>({ ...serviceActivity, taskQueue: taskQueues.inventory }),
    payments: sagaActivities<PaymentsActivities>({ ...serviceActivity, taskQueue: taskQueues.payments }),
    shipping: sagaActivities<ShippingActivities>({ ...serviceActivity, taskQueue: taskQueues.shipping }),
  };
}

export function orderTotalCents(items: readonly OrderItem[]): number {
  return items.reduce((total, item) => total + item.quantity * item.unitPriceCents, 0);
}

/** Cents as the UI and summaries show them: `74.99`. */
export function formatMoney(cents: number): string {
  return (cents / 100).toFixed(2);
}

function describeItems(items: readonly StockItem[]): string {
  return items.map(({ sku, quantity }) => `${quantity} × ${sku}`).join(', ');
}

/**
 * Changes to `placeOrder` that sagas already running must not see, each behind `patched()`: a saga started before
 * the change replays (and goes on) without it, a saga started after runs with it.
 */
export const OrderPatch = {
  /** Screen the payment for fraud before charging it. */
  FraudCheck: 'fraud-check',
} as const;

export function placeOrder({ taskQueues, ...order }: PlaceOrderInput): Promise<PlacedOrder> {
  const { orderId } = order;
  const { orders, inventory, payments, shipping } = services({ ...defaultTaskQueues, ...taskQueues });
  const screensPayment = patched(OrderPatch.FraudCheck);
  const stock = order.items.map(({ sku, quantity }) => ({ sku, quantity }));
  const total = orderTotalCents(order.items);
  return runSaga(
    async (saga) => {
      await saga.step(OrderStep.CreateOrder, {
        summary: `Create order ${orderId}`,
        action: ({ idempotencyKey }) =>
          orders.createOrder({
            idempotencyKey,
            order,
            totalCents: total,
            sagaRunId: workflowInfo().firstExecutionRunId,
          }),
        compensate: ({ idempotencyKey, actionKey, reason }) =>
          orders.cancelOrder({
            idempotencyKey,
            orderKey: actionKey,
            orderId,
            reason: `${reason.type}: ${reason.message}`,
          }),
      });
      const reservation = await saga.step(OrderStep.ReserveStock, {
        summary: `Reserve ${describeItems(stock)}`,
        action: ({ idempotencyKey }) => inventory.reserveStock({ idempotencyKey, orderId, items: stock }),
        compensate: ({ idempotencyKey, actionKey }) =>
          inventory.releaseStock({ idempotencyKey, reservationKey: actionKey }),
      });
      if (screensPayment) {
        await saga.step(OrderStep.ScreenPayment, {
          summary: `Screen the payment of ${formatMoney(total)}`,
          action: () =>
            payments.screenPayment({
              orderId,
              customerId: order.customerId,
              amountCents: total,
              paymentToken: order.paymentToken,
            }),
        });
      }
      const charge = await saga.step(OrderStep.ChargePayment, {
        summary: `Charge ${formatMoney(total)}`,
        action: ({ idempotencyKey }) =>
          payments.chargePayment({ idempotencyKey, orderId, amountCents: total, paymentToken: order.paymentToken }),
        compensate: ({ idempotencyKey, actionKey }) => payments.refundPayment({ idempotencyKey, chargeKey: actionKey }),
      });
      const shipment = await saga.step(OrderStep.RequestShipment, {
        pivot: true,
        summary: `Ship to ${order.shippingAddress.city}, ${order.shippingAddress.country}`,
        activityOptions: shipmentDecision,
        action: ({ idempotencyKey }) =>
          shipping.requestShipment({ idempotencyKey, orderId, address: order.shippingAddress, items: stock }),
      });
      const reservationKey = saga.idempotencyKeyOf(OrderStep.ReserveStock);
      await saga.parallel([
        {
          name: OrderStep.ConfirmOrder,
          summary: `Confirm order ${orderId}`,
          action: ({ idempotencyKey }) =>
            orders.confirmOrder({ idempotencyKey, orderId, shipmentId: shipment.shipmentId }),
        },
        {
          name: OrderStep.CommitStock,
          summary: `Commit ${describeItems(stock)}`,
          action: ({ idempotencyKey }) => inventory.commitStock({ idempotencyKey, reservationKey }),
        },
      ]);
      await saga.step(OrderStep.NotifyCustomer, {
        summary: `Notify ${order.customerId}`,
        action: ({ idempotencyKey }) =>
          orders.notifyCustomer({
            idempotencyKey,
            orderId,
            customerId: order.customerId,
            message: `Your order ${orderId} is on its way: tracking number ${shipment.trackingNumber}.`,
          }),
      });
      return { orderId, reservation, charge, shipment };
    },
    {
      steps: Object.values(OrderStep).filter((step) => screensPayment || step !== OrderStep.ScreenPayment),
    },
  );
}
