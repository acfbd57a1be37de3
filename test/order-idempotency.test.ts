/**
 * No compensation overtakes its action: the engine waits for a cancelled action to end, and the services fence
 * what it cannot wait for (a tombstone on the action's key, left by its compensation). Keys are bound to their
 * arguments. Asserted from the services' own rows, on SQLite and (npm run test:postgres) on PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import type { PaymentsSchema } from '../activities/payments/schema';
import { compensateOnce, IdempotencyFailure, runOnce } from '../activities/storage/idempotency';
import { orderRequest } from './fixtures/orders';
import { eventually, postJson } from './http';
import { orderReaches, placeOrder, readOrder } from './orders';
import { testPostgresUrlVariable } from './postgres';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken } from './tokens';

describe('effects and their compensations under unkind timing', () => {
  let system: TestSystem;
  let payments: Kysely<PaymentsSchema>;
  beforeAll(async () => {
    system = await startTestSystem();
    payments = system.databases.payments;
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** A charge of 100 cents under `key`, as the payments service writes one. */
  function charge(key: string) {
    return async (trx: Transaction<PaymentsSchema>) => {
      const chargeId = randomUUID();
      const now = new Date().toISOString();
      await trx
        .insertInto('charges')
        .values({
          charge_id: chargeId,
          order_id: key,
          step_key: key,
          amount_cents: 100,
          status: 'captured',
          created_at: now,
          updated_at: now,
        })
        .execute();
      return { chargeId };
    };
  }

  /** Refunds the charge under `chargeKey`, if there is one; says whether there was. */
  function refund(chargeKey: string) {
    return async (trx: Transaction<PaymentsSchema>) => {
      const refunded = await trx
        .updateTable('charges')
        .set({ status: 'refunded' })
        .where('step_key', '=', chargeKey)
        .where('status', '=', 'captured')
        .executeTakeFirst();
      return { refunded: refunded.numUpdatedRows > 0n };
    };
  }

  const chargesUnder = (key: string) =>
    payments.selectFrom('charges').select('status').where('step_key', '=', key).execute();

  it('refunds a charge still being captured when its order was cancelled', async () => {
    const body = orderRequest({ paymentToken: 'tok_slow_capture' });
    const orderId = await placeOrder(system.apiUrl, body);
    await eventually(async () => {
      const { saga } = await readOrder(system.apiUrl, orderId);
      return saga.steps.find((step) => step.name === 'chargePayment')?.status === 'running' ? true : undefined;
    });
    const cancel = await postJson(
      `${system.apiUrl}/orders/${orderId}/cancel`,
      { reason: 'changed my mind' },
      await customerToken(body.customerId),
    );
    expect(cancel.status).toBe(202);

    await orderReaches(system.apiUrl, orderId, ['cancelled']);
    // The provider captures 5 s after the request; the compensation waited for it, then refunded.
    const charges = await payments.selectFrom('charges').select('status').where('order_id', '=', orderId).execute();
    expect(charges).toEqual([{ status: 'refunded' }]);
  }, 60_000);

  it('runs an effect once per key, and refuses the key with other arguments', async () => {
    const key = `order-${randomUUID()}/chargePayment`;
    const first = await runOnce(payments, { key, args: { amountCents: 100 } }, charge(key));
    expect(await runOnce(payments, { key, args: { amountCents: 100 } }, charge(key))).toEqual(first);

    await expect(runOnce(payments, { key, args: { amountCents: 1 } }, charge(key))).rejects.toMatchObject({
      type: IdempotencyFailure.IdempotencyConflict,
      nonRetryable: true,
    });
    expect(await chargesUnder(key)).toEqual([{ status: 'captured' }]);
  });

  it('fences off an action that arrives after its compensation: it does nothing, and says so', async () => {
    const key = `order-${randomUUID()}/chargePayment`;
    const undo = { key: `${key}/compensate`, args: {}, actionKey: key };
    expect(await compensateOnce(payments, undo, refund(key))).toEqual({ refunded: false });

    await expect(runOnce(payments, { key, args: { amountCents: 100 } }, charge(key))).rejects.toMatchObject({
      type: IdempotencyFailure.ActionFenced,
      nonRetryable: true,
    });
    expect(await chargesUnder(key)).toEqual([]);
  });

  it('undoes an action that was still inside its transaction when its compensation came', async () => {
    const key = `order-${randomUUID()}/chargePayment`;
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const action = runOnce(payments, { key, args: { amountCents: 100 } }, async (trx) => {
      const result = await charge(key)(trx);
      inside();
      await held; // the attempt hangs before its commit
      return result;
    });
    await entered;
    const compensation = compensateOnce(payments, { key: `${key}/compensate`, args: {}, actionKey: key }, refund(key));
    commit();

    await action;
    expect(await compensation).toEqual({ refunded: true });
    expect(await chargesUnder(key)).toEqual([{ status: 'refunded' }]);
  });

  // SQLite only: PostgreSQL has no database-wide write lock to hold (npm run test:postgres runs this file too).
  (process.env[testPostgresUrlVariable] ? it.skip : it)(
    'waits out another process holding the SQLite write lock, longer than the busy timeout, and commits',
    async () => {
      const other = new Database(path.join(system.config.dataDir, 'payments.sqlite'));
      other.prepare('BEGIN IMMEDIATE').run();
      const released = delay(3000).then(() => other.prepare('COMMIT').run());
      const key = `order-${randomUUID()}/chargePayment`;

      const result = await runOnce(payments, { key, args: { amountCents: 100 } }, charge(key));
      await released;
      other.close();
      expect(result).toEqual({ chargeId: expect.any(String) });
      expect(await chargesUnder(key)).toEqual([{ status: 'captured' }]);
    },
  );
});
