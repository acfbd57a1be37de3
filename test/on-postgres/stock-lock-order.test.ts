/**
 * Stock rows are locked in one order, by SKU, by every transaction that updates them (run by `npm run test:postgres`
 * only: SQLite locks the whole database at once). Two transactions that lock the same rows in different orders
 * deadlock on PostgreSQL, which aborts one of them; a compensation that keeps losing that race would use up its
 * bounded tries and escalate to an operator. Here another transaction holds SKU-1, an order reserves SKU-2 and
 * SKU-1 (listed in that order), and the other transaction then wants SKU-2: no deadlock, and the reservation goes
 * through on its first attempt once SKU-1 is free.
 */
import { sql } from 'kysely';
import { orderWorkflowId } from '../../api/orders/trigger';
import { sagaHistory } from '../../api/saga';
import { orderActivityRunning, orderReaches, placeOrder } from '../orders';
import type { TestSystem } from '../system';
import { startTestSystem } from '../system';

describe('stock rows locked in SKU order', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('lets a reservation listed against that order wait instead of deadlocking', async () => {
    const { inventory } = system.databases;
    let orderId = '';
    // Holds SKU-1, waits until the order's reservation is blocked behind it, then wants SKU-2 as well.
    await inventory.transaction().execute(async (trx) => {
      await sql`select * from stock where sku = 'SKU-1' for update`.execute(trx);
      orderId = await placeOrder(system.apiUrl, {
        items: [
          { sku: 'SKU-2', quantity: 1 },
          { sku: 'SKU-1', quantity: 1 },
        ],
      });
      await orderActivityRunning(system, orderId, 'reserveStock');
      // A reservation that locked SKU-2 first would hold it now, and this statement would deadlock with it.
      await sql`select * from stock where sku = 'SKU-2' for update`.execute(trx);
    });

    const order = await orderReaches(system.apiUrl, orderId, ['completed'], 60_000);
    expect(order.saga.steps.find((step) => step.name === 'reserveStock')).toMatchObject({ status: 'succeeded' });
    const { timeline } = await sagaHistory(system.client, orderWorkflowId(orderId));
    const started = timeline.filter(
      (entry) => entry.type === 'step' && entry.step === 'reserveStock' && entry.event === 'started',
    );
    // One attempt: the reservation waited for SKU-1 and was never aborted.
    expect(started).toEqual([expect.objectContaining({ kind: 'action', temporalAttempt: 1 })]);
  }, 90_000);
});
