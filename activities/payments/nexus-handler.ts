/**
 * The payments service's Nexus handler (contract.ts): each operation is the call of the same name, over the same
 * database, answered synchronously. A refusal (`PaymentDeclined`, `FraudSuspected`) is a non-retryable failure,
 * which reaches the calling saga as a business failure; a provider that does not answer is retried by the server.
 */
import * as nexus from 'nexus-rpc';
import type { createPayments } from '.';
import { paymentsService } from './contract';

/**
 * How many requests the handler counts the attempts of, the oldest forgotten first. The server retries an operation
 * under one request id, so the count is the attempt an activity would have had (in this process).
 */
const countedRequests = 10_000;

export function createPaymentsNexusHandler(payments: ReturnType<typeof createPayments>) {
  const attempts = new Map<string, number>();
  const attemptOf = (requestId: string) => {
    const attempt = (attempts.get(requestId) ?? 0) + 1;
    attempts.delete(requestId);
    attempts.set(requestId, attempt);
    if (attempts.size > countedRequests) attempts.delete(attempts.keys().next().value!);
    return attempt;
  };
  return nexus.serviceHandler(paymentsService, {
    screenPayment: (_context, input) => payments.screenPayment(input),
    chargePayment: (context, input) => payments.chargePayment(input, attemptOf(context.requestId)),
    refundPayment: (_context, input) => payments.refundPayment(input),
  });
}
