/**
 * The client side of the chaos run, as a careful client of the API behaves while parts of the system die: every
 * order is placed with an `Idempotency-Key`, so that a POST that timed out or met a 503 is simply sent again and
 * names the same order; a cancellation is sent again the same way. Each order is its own customer's, who places,
 * reads and cancels it with their own token. Each order's record says what the client saw.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { OrderStep } from '../../workflows/order';
import type { JsonResponse } from '../http';
import { request } from '../http';
import type { OrderView } from '../orders';
import { readOrder } from '../orders';
import { customerToken } from '../tokens';
import type { PlannedOrder } from './plan';

/** How a cancellation went, as the client saw it. */
export type CancelOutcome =
  | { kind: 'accepted' }
  | { kind: 'refused'; reason: string }
  /** Refused on a retry after an attempt whose answer was lost: the first attempt may have been accepted. */
  | { kind: 'refusedOnRetry'; reason: string }
  /** Every attempt met a 5xx or a lost connection until the client gave up; one of them may have been accepted. */
  | { kind: 'unanswered'; reason: string };

export interface OrderRecord {
  plan: PlannedOrder;
  orderId: string | undefined;
  /** Requests sent again after a 5xx or a lost connection. */
  retries: number;
  cancel: CancelOutcome | undefined;
  /** An order the API would not take (a 4xx, or no answer for 2 minutes), or a cancellation it answered oddly. */
  error: string | undefined;
}

const retryBoundMs = 120_000;

/** Sends until the API answers below 500; a lost connection and a 5xx (Temporal down, a deadline) are retried. */
async function untilAnswered(
  send: () => Promise<JsonResponse>,
  onRetry: () => void,
): Promise<JsonResponse & { retried: boolean }> {
  const deadline = Date.now() + retryBoundMs;
  let retried = false;
  let pauseMs = 250;
  for (;;) {
    let failure: string;
    try {
      const response = await send();
      if (response.status < 500) return { ...response, retried };
      failure = `${response.status} ${JSON.stringify(response.body)}`;
    } catch (error) {
      failure = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`no answer within ${retryBoundMs / 1000} s; last: ${failure}`);
    retried = true;
    onRetry();
    await delay(pauseMs);
    pauseMs = Math.min(pauseMs * 2, 2000);
  }
}

export async function placeOrder(apiUrl: string, record: OrderRecord): Promise<void> {
  const token = await customerToken(record.plan.request.customerId);
  const response = await untilAnswered(
    () =>
      request(`${apiUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': record.plan.idempotencyKey },
        body: JSON.stringify(record.plan.request),
        token,
      }),
    () => record.retries++,
  );
  if (response.status !== 202) {
    record.error = `POST /orders answered ${response.status}: ${JSON.stringify(response.body)}`;
    return;
  }
  record.orderId = (response.body as { orderId: string }).orderId;
}

const stepsFromCharging = Object.values(OrderStep).slice(Object.values(OrderStep).indexOf(OrderStep.ChargePayment));

/** Whether the order's payment is being charged, or the saga is past that (or has ended). */
function chargingOrLater({ saga }: OrderView & { saga: { currentStep?: string } }): boolean {
  // A read that the orders worker was too busy to answer is stale: it has the current step, not the step table.
  const charge = saga.steps?.find((step) => step.name === OrderStep.ChargePayment);
  if (charge) return charge.status !== 'pending';
  return saga.status !== 'running' || stepsFromCharging.some((step) => step === saga.currentStep);
}

/** Reads the order as its customer (`token`) until its payment is being charged or later, for at most 30 s. */
async function untilCharging(apiUrl: string, orderId: string, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const order = await readOrder(apiUrl, orderId, token).catch(() => undefined);
    if (order?.saga && chargingOrLater(order)) return;
    await delay(100);
  }
}

/** Cancels the order at its planned moment. */
export async function cancelOrder(apiUrl: string, record: OrderRecord): Promise<void> {
  const { orderId, plan } = record;
  if (!orderId || !plan.cancel) return;
  const moment = plan.cancel;
  const token = await customerToken(plan.request.customerId);
  if (moment.at === 'charging') await untilCharging(apiUrl, orderId, token);
  if (moment.at !== 'placed') await delay(moment.delayMs);
  let response: Awaited<ReturnType<typeof untilAnswered>>;
  try {
    response = await untilAnswered(
      () =>
        request(`${apiUrl}/orders/${orderId}/cancel`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ reason: `The chaos run cancels order #${plan.index}.` }),
          token,
        }),
      () => record.retries++,
    );
  } catch (error) {
    record.cancel = { kind: 'unanswered', reason: (error as Error).message };
    return;
  }
  const reason = (response.body as { detail?: string } | undefined)?.detail ?? JSON.stringify(response.body);
  if (response.status === 202) record.cancel = { kind: 'accepted' };
  else if (response.status === 409)
    record.cancel = response.retried ? { kind: 'refusedOnRetry', reason } : { kind: 'refused', reason };
  else record.error = `POST /orders/${orderId}/cancel answered ${response.status}: ${reason}`;
}
