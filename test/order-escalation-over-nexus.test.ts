/**
 * The escalation of order-escalation.test.ts in the Nexus wiring, where payments is another team's service in a
 * namespace of its own. A Nexus operation has no attempt count: payments' handler is retried by the server, and the
 * saga's 6 tries of an undo become the time they would take (91 s, compensationTimeoutMs in workflows/saga/nexus.ts).
 * Past it the refund waits for an operator, as over a task queue. (Not in the PostgreSQL run: its storage is
 * order-escalation's, and it waits out the 91 s.)
 */
import { randomUUID } from 'node:crypto';
import { undeliverableAddress } from './fixtures/orders';
import { postJson } from './http';
import type { OrderWithEscalations } from './orders';
import { orderReaches, placeOrder } from './orders';
import type { TestSystem } from './system';
import { orderRows, startTestSystem } from './system';
import { testOperatorToken } from './tokens';

describe('an order whose refund keeps failing, payments reached over Nexus', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ wiring: 'nexus' });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("waits in needs_attention once its refund's time is up, and an operator's retry refunds once the provider is back", async () => {
    const orderId = await placeOrder(system.apiUrl, {
      customerId: `escalation-${randomUUID()}`,
      paymentToken: 'tok_refund_fails_1000',
      shippingAddress: undeliverableAddress,
    });

    const { saga } = (await orderReaches(system.apiUrl, orderId, ['needs_attention'], 150_000)) as OrderWithEscalations;
    expect(saga.failure).toMatchObject({ type: 'Undeliverable' });
    // The operation timed out: the saga sees no attempt's own failure, only that the undo's time ran out.
    expect(saga.escalations).toEqual([
      expect.objectContaining({
        step: 'chargePayment',
        kind: 'compensation',
        error: expect.objectContaining({ type: 'TimeoutFailure' }),
      }),
    ]);
    expect(saga.steps.find((step) => step.name === 'chargePayment')?.compensation?.status).toBe('needs_attention');
    let rows = await orderRows(system, orderId);
    // Payments' handler was tried again and again in the meantime, and refused each time: nothing refunded.
    expect(rows.refusalsLeft).toEqual([{ remaining: expect.any(Number) }]);
    expect(rows.refusalsLeft[0]!.remaining).toBeLessThan(1000 - 2);
    expect(rows.charges).toEqual([expect.objectContaining({ status: 'captured' })]);
    expect(rows.refunds).toEqual([]);
    expect(rows.reservations).toEqual([expect.objectContaining({ status: 'held' })]);
    expect(rows.order?.status).toBe('pending');

    // The provider comes back (its refusals run out), and an operator retries the refund.
    await system.databases.payments.updateTable('refund_refusals').set({ remaining: 0 }).execute();
    const resolved = await postJson(
      `${system.apiUrl}/orders/${orderId}/compensations/resolve`,
      { step: 'chargePayment', action: 'retry', reason: 'the provider is back' },
      testOperatorToken,
    );
    expect(resolved.status).toBe(202);

    const cancelled = (await orderReaches(system.apiUrl, orderId, ['cancelled'])) as OrderWithEscalations;
    expect(cancelled.saga.status).toBe('compensated');
    rows = await orderRows(system, orderId);
    expect(rows.charges).toEqual([expect.objectContaining({ status: 'refunded' })]);
    expect(rows.refunds).toEqual([
      expect.objectContaining({ charge_id: rows.charges[0]?.charge_id, amount_cents: rows.charges[0]?.amount_cents }),
    ]);
    expect(rows.reservations).toEqual([expect.objectContaining({ status: 'released' })]);
    expect(rows.order?.status).toBe('cancelled');
  }, 240_000);
});
