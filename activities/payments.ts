/**
 * The payments service's activities. Every activity is idempotent on the step's idempotency key: a retry returns
 * the first charge instead of charging twice.
 */
import { randomUUID } from 'node:crypto';

export interface ChargePaymentInput {
  idempotencyKey: string;
  orderId: string;
  amountCents: number;
  paymentToken: string;
}

export interface Charge {
  chargeId: string;
  orderId: string;
  amountCents: number;
}

export interface PaymentsDeps {
  /** Charges by idempotency key. In memory until the service gets its own database. */
  charges: Map<string, Charge>;
}

export function createPaymentsActivities(deps: PaymentsDeps) {
  return {
    async chargePayment(input: ChargePaymentInput): Promise<Charge> {
      const existing = deps.charges.get(input.idempotencyKey);
      if (existing) return existing;
      const charge = { chargeId: `ch-${randomUUID()}`, orderId: input.orderId, amountCents: input.amountCents };
      deps.charges.set(input.idempotencyKey, charge);
      return charge;
    },
  };
}

export type PaymentsActivities = ReturnType<typeof createPaymentsActivities>;
