/**
 * An order whose refund keeps failing, as the escalation suites see it in either wiring: the refund waiting for an
 * operator with the rest of the undo unfinished, and an operator's retry that refunds it and cancels the order.
 * Asserted from the API and the services' rows.
 */
import { postJson } from './http';
import type { OrderWithEscalations } from './orders';
import { orderReaches } from './orders';
import type { TestSystem } from './system';
import { orderRows } from './system';
import { testOperatorToken } from './tokens';

/**
 * Waits until the order waits for an operator (within `timeoutMs`), and checks what it shows: the refund escalated
 * with `errorType`, and, newest first, the order and the reservation not undone yet either. Returns its rows.
 */
export async function refundAwaitsOperator(system: TestSystem, orderId: string, errorType: string, timeoutMs: number) {
  const { saga } = (await orderReaches(system.apiUrl, orderId, ['needs_attention'], timeoutMs)) as OrderWithEscalations;
  expect(saga.status).toBe('needs_attention');
  expect(saga.failure).toMatchObject({ type: 'Undeliverable' });
  expect(saga.escalations).toEqual([
    expect.objectContaining({
      step: 'chargePayment',
      kind: 'compensation',
      error: expect.objectContaining({ type: errorType }) as unknown,
    }),
  ]);
  expect(saga.steps.find((step) => step.name === 'chargePayment')?.compensation?.status).toBe('needs_attention');
  const rows = await orderRows(system, orderId);
  expect(rows.charges).toEqual([expect.objectContaining({ status: 'captured' })]);
  expect(rows.refunds).toEqual([]);
  expect(rows.reservations).toEqual([expect.objectContaining({ status: 'held' })]);
  expect(rows.order?.status).toBe('pending');
  return rows;
}

/**
 * An operator retries the refund through the API: the charge is refunded once, the rest undone, the order cancelled
 * (within `timeoutMs`).
 */
export async function operatorRetriesRefund(
  system: TestSystem,
  orderId: string,
  timeoutMs = 30_000,
): Promise<OrderWithEscalations> {
  const resolved = await postJson(
    `${system.apiUrl}/orders/${orderId}/compensations/resolve`,
    { step: 'chargePayment', action: 'retry', reason: 'the provider is back' },
    testOperatorToken,
  );
  expect(resolved.status).toBe(202);

  const cancelled = (await orderReaches(system.apiUrl, orderId, ['cancelled'], timeoutMs)) as OrderWithEscalations;
  expect(cancelled.saga.status).toBe('compensated');
  const rows = await orderRows(system, orderId);
  expect(rows.charges).toEqual([expect.objectContaining({ status: 'refunded' })]);
  expect(rows.refunds).toEqual([
    expect.objectContaining({ charge_id: rows.charges[0]?.charge_id, amount_cents: rows.charges[0]?.amount_cents }),
  ]);
  expect(rows.reservations).toEqual([expect.objectContaining({ status: 'released' })]);
  expect(rows.order?.status).toBe('cancelled');
  return cancelled;
}
