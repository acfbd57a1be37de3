/**
 * The services' side of the checkout saga: what each activity must do for its step to be safe. An in-memory store
 * stands in for each service's database; with a real one, each check-then-write below is one transaction.
 */
import { ApplicationFailure } from '@temporalio/activity';

export interface Order {
  orderId: string;
  totalCents: number;
  paymentToken: string;
  address: string;
}

export interface Charge {
  chargeId: string;
  amountCents: number;
}

/** What the payment provider holds: charges by the saga step's idempotency key, and which of them were refunded. */
export interface PaymentsStore {
  charges: Map<string, Charge>;
  refunded: Set<string>;
}

export function createPaymentsActivities(store: PaymentsStore) {
  return {
    /**
     * Idempotent on its key: a retry (the worker died after charging, before answering) finds the first charge and
     * returns it instead of charging twice.
     */
    async charge(input: { idempotencyKey: string; order: Order }): Promise<Charge> {
      const done = store.charges.get(input.idempotencyKey);
      if (done) return done;
      if (input.order.paymentToken === 'declined') {
        // A business failure: non-retryable and typed. The saga stops and undoes what was done; retrying would not
        // change the answer. A plain `throw new Error()` would be retried by Temporal instead (a network blip, a
        // provider that is down), until the step's retry policy gives up.
        throw ApplicationFailure.create({
          type: 'PaymentDeclined',
          message: `The card for order ${input.order.orderId} was declined.`,
          nonRetryable: true,
        });
      }
      const charge = { chargeId: `ch-${store.charges.size + 1}`, amountCents: input.order.totalCents };
      store.charges.set(input.idempotencyKey, charge);
      return charge;
    },

    /**
     * Finds what to undo by the action's key, not by its result: the compensation also runs when the charge timed
     * out with its outcome unknown, when the saga never saw a charge id. Nothing to undo is not an error.
     */
    async refund(input: { chargeKey: string }): Promise<void> {
      if (!store.charges.has(input.chargeKey)) return;
      store.refunded.add(input.chargeKey);
    },
  };
}

export function createShippingActivities(labels: Map<string, string>) {
  return {
    async printLabel(input: { idempotencyKey: string; order: Order }): Promise<string> {
      const label = labels.get(input.idempotencyKey) ?? `label-${input.order.orderId}`;
      labels.set(input.idempotencyKey, label);
      return label;
    },
    async voidLabel(input: { labelKey: string }): Promise<void> {
      labels.delete(input.labelKey);
    },
    async dispatch(input: { order: Order; label: string }): Promise<{ trackingId: string }> {
      if (input.order.address === '') {
        throw ApplicationFailure.create({ type: 'Undeliverable', message: 'No address.', nonRetryable: true });
      }
      return { trackingId: `track-${input.label}` };
    },
    async notify(_input: { order: Order; trackingId: string }): Promise<void> {
      // Sends the customer an e-mail; after the pivot, so it is retried until it succeeds.
    },
  };
}

export type PaymentsActivities = ReturnType<typeof createPaymentsActivities>;
export type ShippingActivities = ReturnType<typeof createShippingActivities>;
