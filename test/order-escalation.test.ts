/**
 * An order whose refund keeps failing (`tok_refund_fails_<N>`, shipped to an address shipping rejects) waits for an
 * operator instead of retrying for ever: it is listed and searchable in `needs_attention` with its undo unfinished,
 * and an operator's resolution through the API ends it. Asserted from the API, visibility and the services' rows.
 */
import { randomUUID } from 'node:crypto';
import { orderWorkflowId } from '../api/orders/trigger';
import { SagaStatusKey } from '../workflows/saga';
import { operatorRetriesRefund, refundAwaitsOperator } from './escalations';
import { undeliverableAddress } from './fixtures/orders';
import { eventually, postJson, request } from './http';
import type { OrderWithEscalations } from './orders';
import { orderReaches, placeOrder } from './orders';
import type { TestSystem } from './system';
import { orderRows, startTestSystem } from './system';
import { testOperatorToken } from './tokens';

async function orderEscalates(apiUrl: string, orderId: string): Promise<OrderWithEscalations> {
  return (await orderReaches(apiUrl, orderId, ['needs_attention'], 45_000)) as OrderWithEscalations;
}

describe('an order whose refund keeps failing', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const rowsOf = (orderId: string) => orderRows(system, orderId);

  /** The order ids `GET /orders?…` lists for an operator, once visibility has caught up with `expected`. */
  async function listed(query: string, expected: readonly string[]): Promise<string[]> {
    let last: string[] = [];
    return eventually(async () => {
      const { body } = await request(`${system.apiUrl}/orders?${query}`, { token: testOperatorToken });
      last = (body as { items: { orderId: string }[] }).items.map((item) => item.orderId).sort();
      return JSON.stringify(last) === JSON.stringify([...expected].sort()) ? last : undefined;
    }).catch(() => last);
  }

  it("waits in needs_attention with its undo unfinished, and an operator's retry refunds the charge and cancels it", async () => {
    const customerId = `escalation-${randomUUID()}`;
    // Refused 6 times: the saga's 6 tries run out, it escalates, and the operator's retry is the 7th: refunded.
    const orderId = await placeOrder(system.apiUrl, {
      customerId,
      paymentToken: 'tok_refund_fails_6',
      shippingAddress: undeliverableAddress,
    });

    const rows = await refundAwaitsOperator(system, orderId, 'PaymentProviderUnavailable', 45_000);
    expect(rows.refusalsLeft).toEqual([{ remaining: 0 }]);

    // Searchable: the search attribute, and the API's list of orders that need attention.
    const description = await system.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    expect(description.typedSearchAttributes.get(SagaStatusKey)).toBe('needs_attention');
    expect(await listed(`status=needs_attention&customerId=${customerId}`, [orderId])).toEqual([orderId]);

    const cancelled = await operatorRetriesRefund(system, orderId);
    expect(cancelled.saga.compensationLog).toContainEqual(
      expect.objectContaining({ step: 'chargePayment', event: 'resolved', resolution: 'retry: the provider is back' }),
    );
    expect(await listed(`status=needs_attention&customerId=${customerId}`, [])).toEqual([]);
  }, 90_000);

  it('a refund the provider never takes is skipped in bulk: the rest is undone, and no refund is recorded', async () => {
    const customerId = `escalation-${randomUUID()}`;
    const orderIds = await Promise.all(
      [1, 2].map(() =>
        placeOrder(system.apiUrl, {
          customerId,
          paymentToken: 'tok_refund_fails_1000',
          shippingAddress: undeliverableAddress,
        }),
      ),
    );
    for (const orderId of orderIds) await orderEscalates(system.apiUrl, orderId);
    expect(await listed(`status=needs_attention&customerId=${customerId}`, orderIds)).toEqual([...orderIds].sort());

    const report = await postJson(
      `${system.apiUrl}/orders/compensations/resolve?status=needs_attention&customerId=${customerId}`,
      { step: 'chargePayment', action: 'skip', reason: 'refunded by hand' },
      testOperatorToken,
    );
    expect(report.status).toBe(200);
    const { resolved, refused, failed } = report.body as Record<string, { orderId: string }[]>;
    expect(resolved?.map((entry) => entry.orderId).sort()).toEqual([...orderIds].sort());
    expect([refused, failed]).toEqual([[], []]);

    for (const orderId of orderIds) {
      const order = await orderReaches(system.apiUrl, orderId, ['cancelled']);
      expect(order.saga.status).toBe('compensated');
      expect(order.saga.steps.find((step) => step.name === 'chargePayment')?.compensation?.status).toBe('skipped');
      const rows = await rowsOf(orderId);
      // Skipped: the operator refunds by hand, so the service records none; the rest of the undo ran.
      expect(rows.charges).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(rows.refunds).toEqual([]);
      expect(rows.reservations).toEqual([expect.objectContaining({ status: 'released' })]);
      expect(rows.order?.status).toBe('cancelled');
    }
  }, 90_000);
});
