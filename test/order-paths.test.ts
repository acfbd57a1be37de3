/**
 * Every failure path of the order saga, driven by the services' deterministic triggers and asserted from the
 * rows in each service's own database: in both wirings, the services on task queues in the order's namespace, and
 * inventory, payments and shipping in namespaces of their own, reached over Nexus.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { orderWorkflowId } from '../api/orders/trigger';
import { causeChain, describeError } from '../workflows/saga';
import { historyOf, lastStartOf, stepCallsOf } from './history';
import { orderRequest, undeliverableAddress } from './fixtures/orders';
import { postJson } from './http';
import { orderReaches, placeOrder, readOrder } from './orders';
import type { TestSystem } from './system';
import { orderRows, startTestSystem, wirings } from './system';
import { customerToken } from './tokens';

describe.each(wirings)('order failure paths, services wired by %s', (wiring) => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ wiring });
  });
  afterAll(async () => {
    await system?.stop();
  });

  const rowsOf = (orderId: string) => orderRows(system, orderId);

  async function stockOf(sku: string) {
    return system.databases.inventory
      .selectFrom('stock')
      .select(['available', 'reserved', 'shipped'])
      .where('sku', '=', sku)
      .executeTakeFirstOrThrow();
  }

  it('out of stock: the order is never created, and nothing is reserved, charged or shipped', async () => {
    const orderId = await placeOrder(system.apiUrl, {
      items: [
        { sku: 'SKU-1', quantity: 1 },
        { sku: 'SKU-SOLD-OUT', quantity: 1 },
      ],
    });
    const order = await orderReaches(system.apiUrl, orderId, ['cancelled']);
    expect(order.saga.failure).toMatchObject({ type: 'OutOfStock' });

    const rows = await rowsOf(orderId);
    expect(rows.order).toBeUndefined(); // the stock is reserved first: an order it cannot fill is not recorded
    expect(rows.reservations).toEqual([]); // the whole reservation rolled back, SKU-1 included
    expect(rows.charges).toEqual([]);
    expect(rows.shipments).toEqual([]);
  });

  it('tells the customer an SKU is short, never how many units are left', async () => {
    const { available } = await stockOf('SKU-5');
    // 11 lines of 1,000: more than the 10,000 units SKU-5 is stocked with.
    const items = Array.from({ length: 11 }, () => ({ sku: 'SKU-5', quantity: 1000 }));
    const body = orderRequest({ items });
    const token = await customerToken(body.customerId);
    const waited = await postJson(`${system.apiUrl}/orders?wait=charged`, body, token);
    expect(waited.status).toBe(409);
    const message = 'Not enough of SKU-5 in stock: the order needs 11000.';
    expect(waited.body).toMatchObject({
      type: 'urn:temporal-saga:problem:saga-failed',
      detail: `The order failed: ${message}`,
      failure: { type: 'OutOfStock', message },
    });
    const { orderId } = waited.body as { orderId: string };
    const order = await orderReaches(system.apiUrl, orderId, ['cancelled']);
    expect(order.saga.failure).toEqual({ type: 'OutOfStock', message });
    expect(JSON.stringify(order.saga.steps)).toContain(JSON.stringify({ type: 'OutOfStock', message }));
    // The count is nowhere the customer reads: not in the problem, not in the order, not in the failure's details.
    const seenByCustomer = await readOrder(system.apiUrl, orderId, token);
    expect(seenByCustomer).toMatchObject({ orderId, status: 'cancelled' });
    for (const text of [waited.body, seenByCustomer].map((answer) => JSON.stringify(answer)))
      expect(text).not.toContain(`${available}`);
    const ended: unknown = await system.client.workflow
      .getHandle(orderWorkflowId(orderId))
      .result()
      .catch((reason: unknown) => reason);
    const refusal = [...causeChain(ended)].find((failure) => failure.type === 'OutOfStock');
    expect((refusal as { details?: unknown } | undefined)?.details).toEqual([{ sku: 'SKU-5', requested: 11000 }]);
    expect(await stockOf('SKU-5')).toEqual(expect.objectContaining({ available }));
  });

  it('declined payment: releases the reservation and cancels the order', async () => {
    const before = await stockOf('SKU-2');
    const orderId = await placeOrder(system.apiUrl, {
      items: [{ sku: 'SKU-2', quantity: 3 }],
      paymentToken: 'tok_declined',
    });
    const order = await orderReaches(system.apiUrl, orderId, ['cancelled']);
    expect(order.saga.failure).toMatchObject({ type: 'PaymentDeclined' });

    const rows = await rowsOf(orderId);
    expect(rows.order?.status).toBe('cancelled');
    expect(rows.reservations).toEqual([expect.objectContaining({ status: 'released' })]);
    expect(rows.charges).toEqual([]);
    expect(rows.shipments).toEqual([]);
    expect(await stockOf('SKU-2')).toEqual(before);
  });

  it('a payment flagged as fraud: nothing is charged, the stock is released, the order cancelled', async () => {
    const before = await stockOf('SKU-4');
    const orderId = await placeOrder(system.apiUrl, {
      items: [{ sku: 'SKU-4', quantity: 1 }],
      paymentToken: 'tok_fraud',
    });
    const order = await orderReaches(system.apiUrl, orderId, ['cancelled']);
    expect(order.saga.failure).toMatchObject({ type: 'FraudSuspected' });
    const rows = await rowsOf(orderId);
    expect(rows.charges).toEqual([]);
    expect(rows.reservations).toEqual([expect.objectContaining({ status: 'released' })]);
    expect(await stockOf('SKU-4')).toEqual(before);
  });

  it('undeliverable address: refunds the whole charge, restores the stock and cancels the order', async () => {
    const before = await stockOf('SKU-3');
    const orderId = await placeOrder(system.apiUrl, {
      items: [{ sku: 'SKU-3', quantity: 2 }],
      shippingAddress: undeliverableAddress,
    });
    const order = await orderReaches(system.apiUrl, orderId, ['cancelled']);
    expect(order.saga.failure).toMatchObject({ type: 'Undeliverable' });
    expect(order.saga.steps.find((step) => step.name === 'requestShipment')).toMatchObject({ status: 'failed' });

    const rows = await rowsOf(orderId);
    expect(rows.order?.status).toBe('cancelled');
    expect(rows.shipments).toEqual([
      expect.objectContaining({ status: 'rejected', rejection_reason: 'No courier delivers to this address.' }),
    ]);
    expect(rows.charges).toEqual([expect.objectContaining({ amount_cents: 5000, status: 'refunded' })]);
    expect(rows.refunds).toEqual([
      expect.objectContaining({ amount_cents: 5000, charge_id: rows.charges[0]?.charge_id }),
    ]);
    expect(rows.reservations).toEqual([expect.objectContaining({ status: 'released' })]);
    expect(await stockOf('SKU-3')).toEqual(before);
  });

  it("fails a compensated order's workflow with what failed and what was undone, the service's refusal as its cause", async () => {
    const orderId = await placeOrder(system.apiUrl, { shippingAddress: undeliverableAddress });
    await orderReaches(system.apiUrl, orderId, ['cancelled']);
    const handle = system.client.workflow.getHandle(orderWorkflowId(orderId));
    const message =
      'compensated after requestShipment failed: Undeliverable: No courier delivers to this address. ' +
      '(undone: chargePayment, createOrder, reserveStock)';

    // The closing event, whose failure message the Web UI shows in the workflow list and on the workflow page.
    const closed = (await historyOf(handle)).at(-1)?.workflowExecutionFailedEventAttributes?.failure;
    expect(closed?.message).toBe(message);
    expect(closed?.applicationFailureInfo?.type).toBe('SagaCompensated');
    if (wiring === 'task-queues') {
      expect(closed?.cause?.activityFailureInfo?.activityType?.name).toBe('requestShipment');
      expect(closed?.cause?.cause?.applicationFailureInfo?.type).toBe('Undeliverable');
    } else {
      // The shipment workflow answered the operation with its rejection, which the saga's step fails with.
      expect(closed?.cause?.applicationFailureInfo?.type).toBe('Undeliverable');
    }

    // The client reads the same chain, and still finds the business failure inside it.
    const error: unknown = await handle.result().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = (error as WorkflowFailedError).cause;
    expect(failure).toMatchObject({ type: 'SagaCompensated', message });
    expect(describeError(failure)).toEqual({
      type: 'Undeliverable',
      message: 'No courier delivers to this address.',
    });
  });

  it('a payment provider down twice: retried until it answers, the order completes, nothing is compensated', async () => {
    const orderId = await placeOrder(system.apiUrl, { paymentToken: 'tok_flaky_2' });
    const order = await orderReaches(system.apiUrl, orderId, ['completed']);
    expect(order.saga.steps.every((step) => step.compensation === undefined)).toBe(true);

    const events = await historyOf(system.client.workflow.getHandle(orderWorkflowId(orderId)));
    if (wiring === 'task-queues') {
      const chargeStarted = lastStartOf(events, 'chargePayment');
      expect(chargeStarted?.attempt).toBe(3);
      expect(chargeStarted?.lastFailure?.applicationFailureInfo?.type).toBe('PaymentProviderUnavailable');
    }
    // Over Nexus the server retries the operation within one scheduled event: the charge is called once.
    expect(stepCallsOf(events).filter((name) => name === 'chargePayment')).toEqual(['chargePayment']);
    const undoes = ['releaseStock', 'refundPayment', 'cancelOrder'];
    expect(stepCallsOf(events).filter((name) => undoes.includes(name))).toEqual([]);

    const rows = await rowsOf(orderId);
    expect(rows.charges).toEqual([expect.objectContaining({ status: 'captured' })]);
    expect(rows.refunds).toEqual([]);
    expect(rows.order?.status).toBe('confirmed');
  });
});
