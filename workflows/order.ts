/**
 * `placeOrder`: the order saga. It runs on the `orders` task queue and reaches each service only through that
 * service's own task queue, so a slow or dead service delays its own step (retried until it is back) and never
 * holds a caller's thread. Shipping is handed over, not awaited: the order is placed once the shipping service has
 * the request, however long the shipment itself takes.
 */
import type { InventoryActivities, Reservation, StockItem } from '../activities/inventory';
import type { Charge, PaymentsActivities } from '../activities/payments';
import type { ShipmentRequest, ShippingActivities, ShippingAddress } from '../activities/shipping';
import { runSaga, sagaActivities } from './saga';
import { TaskQueue } from './task-queues';

export interface OrderItem extends StockItem {
  /** Price of one unit, in cents. */
  unitPriceCents: number;
}

export interface PlaceOrderInput {
  orderId: string;
  customerId: string;
  items: OrderItem[];
  paymentToken: string;
  shippingAddress: ShippingAddress;
}

export interface PlacedOrder {
  orderId: string;
  reservation: Reservation;
  charge: Charge;
  shipment: ShipmentRequest;
}

export const OrderStep = {
  ReserveStock: 'reserveStock',
  ChargePayment: 'chargePayment',
  RequestShipment: 'requestShipment',
} as const;

/** Every service call: a short timeout, retried with backoff until the service answers. */
const serviceActivity = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

const inventory = sagaActivities<InventoryActivities>({ ...serviceActivity, taskQueue: TaskQueue.Inventory });
const payments = sagaActivities<PaymentsActivities>({ ...serviceActivity, taskQueue: TaskQueue.Payments });
const shipping = sagaActivities<ShippingActivities>({ ...serviceActivity, taskQueue: TaskQueue.Shipping });

export function orderTotalCents(items: readonly OrderItem[]): number {
  return items.reduce((total, item) => total + item.quantity * item.unitPriceCents, 0);
}

function describeItems(items: readonly StockItem[]): string {
  return items.map(({ sku, quantity }) => `${quantity} × ${sku}`).join(', ');
}

export function placeOrder(order: PlaceOrderInput): Promise<PlacedOrder> {
  const stock = order.items.map(({ sku, quantity }) => ({ sku, quantity }));
  const total = orderTotalCents(order.items);
  return runSaga(
    async (saga) => {
      const reservation = await saga.step(OrderStep.ReserveStock, {
        summary: `Reserve ${describeItems(stock)}`,
        action: ({ idempotencyKey }) =>
          inventory.reserveStock({ idempotencyKey, orderId: order.orderId, items: stock }),
      });
      const charge = await saga.step(OrderStep.ChargePayment, {
        summary: `Charge ${(total / 100).toFixed(2)}`,
        action: ({ idempotencyKey }) =>
          payments.chargePayment({
            idempotencyKey,
            orderId: order.orderId,
            amountCents: total,
            paymentToken: order.paymentToken,
          }),
      });
      const shipment = await saga.step(OrderStep.RequestShipment, {
        summary: `Ship to ${order.shippingAddress.city}, ${order.shippingAddress.country}`,
        action: ({ idempotencyKey }) =>
          shipping.requestShipment({
            idempotencyKey,
            orderId: order.orderId,
            address: order.shippingAddress,
            items: stock,
          }),
      });
      return { orderId: order.orderId, reservation, charge, shipment };
    },
    { steps: Object.values(OrderStep) },
  );
}
