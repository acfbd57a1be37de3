/**
 * The checkout saga: charge, print a label, dispatch (the pivot), notify. Deterministic workflow code: activities
 * are imported as types only and called through proxies.
 */
import { runSaga, sagaActivities } from 'temporal-saga/workflow';
import type { Charge, Order, PaymentsActivities, ShippingActivities } from './activities';

export const CheckoutStep = {
  Charge: 'charge',
  PrintLabel: 'printLabel',
  Dispatch: 'dispatch',
  Notify: 'notify',
} as const;
export type CheckoutStep = (typeof CheckoutStep)[keyof typeof CheckoutStep];

const payments = sagaActivities<PaymentsActivities>({ taskQueue: 'payments', startToCloseTimeout: '10 seconds' });
const shipping = sagaActivities<ShippingActivities>({ taskQueue: 'shipping', startToCloseTimeout: '10 seconds' });

export interface Receipt {
  charge: Charge;
  trackingId: string;
}

export function checkout(order: Order): Promise<Receipt> {
  return runSaga(
    async (saga) => {
      const charge = await saga.step(CheckoutStep.Charge, {
        summary: `Charge ${order.totalCents} cents`, // shown on the activity in the Web UI
        action: ({ idempotencyKey }) => payments.charge({ idempotencyKey, order }),
        // Registered before the action runs; `actionKey` finds the charge even if the action timed out.
        compensate: ({ actionKey }) => payments.refund({ chargeKey: actionKey }),
      });
      const label = await saga.step(CheckoutStep.PrintLabel, {
        action: ({ idempotencyKey }) => shipping.printLabel({ idempotencyKey, order }),
        compensate: ({ actionKey }) => shipping.voidLabel({ labelKey: actionKey }),
      });
      // The point of no return: once the parcel has left, nothing is undone.
      const { trackingId } = await saga.step(CheckoutStep.Dispatch, {
        pivot: true,
        action: () => shipping.dispatch({ order, label }),
      });
      // After the pivot: retried forward until it succeeds.
      await saga.step(CheckoutStep.Notify, { action: () => shipping.notify({ order, trackingId }) });
      return { charge, trackingId };
    },
    // Declared once: `saga.step`, `saga.parallel` and `saga.idempotencyKeyOf` then take only these names.
    { steps: Object.values(CheckoutStep), deadline: '1 hour' },
  );
}
