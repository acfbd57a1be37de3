/**
 * An action attempt that outlives its start-to-close timeout (10 s) and commits late, on PostgreSQL, where one
 * transaction can be held open for as long as a test likes (run by `npm run test:postgres` only). The test holds
 * a lock the attempt needs, so that attempt 1 claims its key and then hangs inside its transaction; Temporal
 * times it out and starts attempt 2 (or the saga compensates) while attempt 1 can still commit. Nothing leaks:
 * attempt 2 waits on attempt 1's claim and answers with its result, and a compensation waits for it and undoes it.
 */
import { orderRequest } from '../fixtures/orders';
import { postJson } from '../http';
import { orderActivityRunning, orderReaches, placeOrder } from '../orders';
import { holding } from '../postgres';
import type { TestSystem } from '../system';
import { startTestSystem } from '../system';
import { customerToken } from '../tokens';

describe('an action attempt that commits after its timeout', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** Waits until attempt `attempt` of the order's `activityType` runs (the first one timed out), waiting behind it. */
  const attemptRunning = (orderId: string, activityType: string, attempt: number) =>
    orderActivityRunning(system, orderId, activityType, attempt);

  it('a reservation committed late is the one the saga keeps, and its compensation releases it', async () => {
    const { inventory } = system.databases;
    // Exactly enough for one reservation: a second one would fail OutOfStock and leave the first held for good.
    await inventory.updateTable('stock').set({ available: 2, reserved: 0 }).where('sku', '=', 'SKU-1').execute();
    const release = await holding(inventory, `select * from stock where sku = 'SKU-1' for update`);
    const orderId = await placeOrder(system.apiUrl, {
      items: [{ sku: 'SKU-1', quantity: 2 }],
      paymentToken: 'tok_declined',
    });

    await attemptRunning(orderId, 'reserveStock', 2);
    await release();

    const order = await orderReaches(system.apiUrl, orderId, ['cancelled'], 60_000);
    expect(order.saga.failure).toMatchObject({ type: 'PaymentDeclined' });
    expect(order.saga.steps.find((step) => step.name === 'reserveStock')).toMatchObject({
      status: 'succeeded',
      compensation: { status: 'succeeded' },
    });
    const reservations = await inventory
      .selectFrom('reservations')
      .select('status')
      .where('order_id', '=', orderId)
      .execute();
    expect(reservations).toEqual([{ status: 'released' }]);
    const stock = await inventory
      .selectFrom('stock')
      .select(['available', 'reserved'])
      .where('sku', '=', 'SKU-1')
      .executeTakeFirstOrThrow();
    expect(stock).toEqual({ available: 2, reserved: 0 });
  }, 90_000);

  it('a charge committed late, after its order was cancelled, is refunded', async () => {
    const { payments } = system.databases;
    const release = await holding(payments, 'lock table charges in exclusive mode');
    const body = orderRequest();
    const orderId = await placeOrder(system.apiUrl, body);

    await attemptRunning(orderId, 'chargePayment', 2);
    const cancel = await postJson(
      `${system.apiUrl}/orders/${orderId}/cancel`,
      { reason: 'changed my mind' },
      await customerToken(body.customerId),
    );
    expect(cancel.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await release();

    await orderReaches(system.apiUrl, orderId, ['cancelled'], 60_000);
    const charges = await payments
      .selectFrom('charges')
      .select(['charge_id', 'status'])
      .where('order_id', '=', orderId)
      .execute();
    expect(charges.map((charge) => charge.status)).toEqual(['refunded']);
    const refunds = await payments
      .selectFrom('refunds')
      .select('amount_cents')
      .where('charge_id', '=', charges[0]!.charge_id)
      .execute();
    expect(refunds).toHaveLength(1);
    const reservations = await system.databases.inventory
      .selectFrom('reservations')
      .select('status')
      .where('order_id', '=', orderId)
      .execute();
    expect(reservations).toEqual([{ status: 'released' }]);
  }, 90_000);
});
