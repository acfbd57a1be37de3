/**
 * A deliberately incompatible change to `placeOrder`: the payment is charged before the stock is reserved. The
 * replay suite proves that replaying the recorded histories against it fails with a determinism violation,
 * so that a change like this cannot reach running sagas unnoticed.
 */
import type { InventoryActivities } from '../../activities/inventory';
import type { Order, OrdersActivities } from '../../activities/orders';
import type { PaymentsActivities } from '../../activities/payments';
import { orderTotalCents } from '../../workflows/order';
import { runSaga, sagaActivities } from '../../workflows/saga';
import { TaskQueue } from '../../workflows/task-queues';

const serviceActivity = { startToCloseTimeout: '10 seconds' } as const;
const orders = sagaActivities<OrdersActivities>({ ...serviceActivity, taskQueue: TaskQueue.Orders });
const inventory = sagaActivities<InventoryActivities>({ ...serviceActivity, taskQueue: TaskQueue.Inventory });
const payments = sagaActivities<PaymentsActivities>({ ...serviceActivity, taskQueue: TaskQueue.Payments });

export function placeOrder(order: Order): Promise<void> {
  const { orderId } = order;
  return runSaga(async (saga) => {
    await saga.step('createOrder', {
      action: ({ idempotencyKey }) =>
        orders.createOrder({ idempotencyKey, order, totalCents: orderTotalCents(order.items) }),
    });
    await saga.step('chargePayment', {
      action: ({ idempotencyKey }) =>
        payments.chargePayment({
          idempotencyKey,
          orderId,
          amountCents: orderTotalCents(order.items),
          paymentToken: order.paymentToken,
        }),
    });
    await saga.step('reserveStock', {
      action: ({ idempotencyKey }) => inventory.reserveStock({ idempotencyKey, orderId, items: order.items }),
    });
  });
}
