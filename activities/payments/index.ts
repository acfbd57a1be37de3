/**
 * The payments service: owns charges and refunds. Charging is idempotent on the step's key, in the same
 * transaction as the charge row, so a retry after a crash finds the first charge instead of charging twice.
 *
 * Payment tokens drive every path, for tests and demos:
 * - `tok_declined`: the provider refuses (`PaymentDeclined`, a business failure: the saga compensates);
 * - `tok_fraud`: the screening flags the payment (`FraudSuspected`: the saga compensates, nothing is charged);
 * - `tok_flaky_<N>`: the provider is unavailable for the first N attempts (retried by Temporal), then accepts;
 * - `tok_slow`: the charge is committed, then the first attempt takes 5 s to answer (a window to crash in);
 * - `tok_slow_capture`: the provider takes 5 s before the charge is captured (a window to cancel in);
 * - `tok_refund_fails_<N>` (N up to 6 digits): the charge is accepted, and its refund is refused the first N times
 *   it is tried (the provider unavailable: a transient failure, retried). The count is kept in this service's
 *   database, not in the attempt number as `tok_flaky_<N>`'s is, so that it runs on across every retry of the
 *   refund: Temporal's, the saga's own, an operator's, and after a restart;
 * - anything else is accepted.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { BusinessFailure, businessFailure, TransientFailure } from '../failures';
import { compensateOnce, runOnce, timestamp } from '../storage/idempotency';
import type { PaymentsSchema } from './schema';
import { ChargeStatus } from './schema';

export interface Charge {
  chargeId: string;
  orderId: string;
  amountCents: number;
}

export interface ScreeningRequest {
  orderId: string;
  customerId: string;
  amountCents: number;
  paymentToken: string;
}

export interface RefundRequest {
  idempotencyKey: string;
  /** The idempotency key of the charge to refund. */
  chargeKey: string;
}

export interface ChargeRequest {
  idempotencyKey: string;
  orderId: string;
  amountCents: number;
  paymentToken: string;
}

export interface PaymentsDeps {
  db: Kysely<PaymentsSchema>;
  /** How long `tok_slow` takes to answer after committing, and `tok_slow_capture` before it. @default 5000 */
  slowAcknowledgementMs?: number;
}

export const PaymentToken = {
  Declined: 'tok_declined',
  Fraud: 'tok_fraud',
  Slow: 'tok_slow',
  SlowCapture: 'tok_slow_capture',
} as const;

/** How many times the provider refuses to refund a charge made with `paymentToken`: N for `tok_refund_fails_<N>`. */
function refundRefusalsOf(paymentToken: string): number {
  const refundFails = /^tok_refund_fails_(\d{1,6})$/.exec(paymentToken);
  return refundFails ? Number(refundFails[1]) : 0;
}

/**
 * The service's calls, whoever makes them: an activity (below) or a Nexus operation (nexus-handler.ts). `attempt`:
 * which try of the same call this is, which `tok_flaky_<N>` and the slow tokens read.
 */
export function createPayments({ db, slowAcknowledgementMs = 5000 }: PaymentsDeps) {
  return {
    /** Screens a payment before it is charged. Reads nothing and writes nothing: a verdict, not an effect. */
    async screenPayment(input: ScreeningRequest) {
      if (input.paymentToken === PaymentToken.Fraud) {
        throw businessFailure(
          BusinessFailure.FraudSuspected,
          `The payment for order ${input.orderId} looks fraudulent.`,
        );
      }
      return { verdict: 'clear' as const };
    },

    async chargePayment(input: ChargeRequest, attempt: number): Promise<Charge> {
      if (input.paymentToken === PaymentToken.Declined) {
        throw businessFailure(BusinessFailure.PaymentDeclined, 'The card issuer declined the payment.');
      }
      const flaky = /^tok_flaky_(\d+)$/.exec(input.paymentToken);
      if (flaky && attempt <= Number(flaky[1])) {
        throw ApplicationFailure.retryable(
          `The payment provider did not answer (attempt ${attempt}).`,
          TransientFailure.PaymentProviderUnavailable,
        );
      }
      if (input.paymentToken === PaymentToken.SlowCapture && attempt === 1) await delay(slowAcknowledgementMs);
      const charge = await runOnce(db, { key: input.idempotencyKey, args: input }, async (trx) => {
        const chargeId = randomUUID();
        const now = timestamp();
        await trx
          .insertInto('charges')
          .values({
            charge_id: chargeId,
            order_id: input.orderId,
            step_key: input.idempotencyKey,
            amount_cents: input.amountCents,
            status: ChargeStatus.Captured,
            created_at: now,
            updated_at: now,
          })
          .execute();
        const refusals = refundRefusalsOf(input.paymentToken);
        if (refusals > 0) {
          await trx
            .insertInto('refund_refusals')
            .values({ charge_key: input.idempotencyKey, remaining: refusals })
            .execute();
        }
        return { chargeId, orderId: input.orderId, amountCents: input.amountCents };
      });
      if (input.paymentToken === PaymentToken.Slow && attempt === 1) await delay(slowAcknowledgementMs);
      return charge;
    },

    /** Compensation of `chargePayment`: refunds the whole charge. No charge under that key: nothing to do. */
    async refundPayment(input: RefundRequest): Promise<{ refundedCents: number }> {
      // A refusal is counted down in a statement of its own, committed before the attempt fails.
      const refused = await db
        .updateTable('refund_refusals')
        .set((row) => ({ remaining: row('remaining', '-', 1) }))
        .where('charge_key', '=', input.chargeKey)
        .where('remaining', '>', 0)
        .returning('remaining')
        .executeTakeFirst();
      if (refused) {
        throw ApplicationFailure.retryable(
          `The payment provider did not answer the refund (${refused.remaining} more refusal(s) to come).`,
          TransientFailure.PaymentProviderUnavailable,
        );
      }
      const call = { key: input.idempotencyKey, args: input, actionKey: input.chargeKey };
      return compensateOnce(db, call, async (trx) => {
        const charge = await trx
          .selectFrom('charges')
          .select(['charge_id', 'amount_cents', 'status'])
          .where('step_key', '=', input.chargeKey)
          .executeTakeFirst();
        if (charge?.status !== ChargeStatus.Captured) return { refundedCents: 0 };
        await trx
          .insertInto('refunds')
          .values({
            refund_id: randomUUID(),
            charge_id: charge.charge_id,
            amount_cents: charge.amount_cents,
            created_at: timestamp(),
          })
          .execute();
        await trx
          .updateTable('charges')
          .set({ status: ChargeStatus.Refunded, updated_at: timestamp() })
          .where('charge_id', '=', charge.charge_id)
          .execute();
        return { refundedCents: charge.amount_cents };
      });
    },
  };
}

/** The calls as activities: the attempt is the activity's. */
export function createPaymentsActivities(deps: PaymentsDeps) {
  const payments = createPayments(deps);
  return {
    screenPayment: (input: ScreeningRequest) => payments.screenPayment(input),
    chargePayment: (input: ChargeRequest) => payments.chargePayment(input, Context.current().info.attempt),
    refundPayment: (input: RefundRequest) => payments.refundPayment(input),
  };
}

export type PaymentsActivities = ReturnType<typeof createPaymentsActivities>;
