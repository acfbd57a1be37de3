/**
 * The escalation of order-escalation.test.ts in the Nexus wiring, where payments is another team's service in a
 * namespace of its own. A Nexus operation has no attempt count: payments' handler is retried by the server, and the
 * saga's 6 tries of an undo become the time they would take (91 s, compensationTimeoutMs in workflows/saga/nexus.ts).
 * Past it the refund waits for an operator, as over a task queue. (Not in the PostgreSQL run: its storage is
 * order-escalation's, and it waits out the 91 s.)
 */
import { randomUUID } from 'node:crypto';
import { operatorRetriesRefund, refundAwaitsOperator } from './escalations';
import { undeliverableAddress } from './fixtures/orders';
import { placeOrder } from './orders';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

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

    // The operation timed out: the saga sees no attempt's own failure, only that the undo's time ran out.
    const rows = await refundAwaitsOperator(system, orderId, 'TimeoutFailure', 150_000);
    // Payments' handler was tried again and again in the meantime, and refused each time.
    expect(rows.refusalsLeft).toEqual([{ remaining: expect.any(Number) }]);
    expect(rows.refusalsLeft[0]!.remaining).toBeLessThan(1000 - 2);

    // The provider comes back (its refusals run out), and an operator retries the refund. The retry is a new
    // operation, but the server paces calls to an endpoint whose handler kept failing (its refusals just now), so it
    // may reach payments only after a while: seen past 30 s once in CI, hence the longer wait.
    await system.databases.payments.updateTable('refund_refusals').set({ remaining: 0 }).execute();
    await operatorRetriesRefund(system, orderId, 120_000);
  }, 300_000);
});
