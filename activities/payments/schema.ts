/**
 * The payments service's database: charges, the refunds that undo them, and the refunds its provider is to refuse
 * (the `tok_refund_fails_<N>` trigger).
 */
import type { Kysely, Migration } from 'kysely';
import type { IdempotencySchema } from '../storage/idempotency';
import { addIdempotencyFencing, createIdempotencyKeys } from '../storage/idempotency';

export const ChargeStatus = {
  Captured: 'captured',
  Refunded: 'refunded',
} as const;
export type ChargeStatus = (typeof ChargeStatus)[keyof typeof ChargeStatus];

export interface ChargesTable {
  charge_id: string;
  order_id: string;
  /** The charging step's idempotency key: how its compensation finds it. */
  step_key: string;
  amount_cents: number;
  status: ChargeStatus;
  created_at: string;
  updated_at: string;
}

export interface RefundsTable {
  refund_id: string;
  /** At most one refund per charge. */
  charge_id: string;
  amount_cents: number;
  created_at: string;
}

/**
 * How many more times the provider refuses to refund a charge: written with a `tok_refund_fails_<N>` charge, counted
 * down by each refused attempt, so that the count runs on across retries, escalations and restarts.
 */
export interface RefundRefusalsTable {
  /** The charging step's idempotency key, as the refund names the charge. */
  charge_key: string;
  remaining: number;
}

export interface PaymentsSchema extends IdempotencySchema {
  charges: ChargesTable;
  refunds: RefundsTable;
  refund_refusals: RefundRefusalsTable;
}

export const paymentsMigrations: Record<string, Migration> = {
  '001_payments': {
    async up(db: Kysely<unknown>) {
      await createIdempotencyKeys.up(db);
      await db.schema
        .createTable('charges')
        .addColumn('charge_id', 'text', (column) => column.primaryKey())
        .addColumn('order_id', 'text', (column) => column.notNull())
        .addColumn('step_key', 'text', (column) => column.notNull().unique())
        .addColumn('amount_cents', 'bigint', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('charges_by_order').on('charges').column('order_id').execute();
      await db.schema
        .createTable('refunds')
        .addColumn('refund_id', 'text', (column) => column.primaryKey())
        .addColumn('charge_id', 'text', (column) => column.notNull().unique().references('charges.charge_id'))
        .addColumn('amount_cents', 'bigint', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
    },
  },
  '002_idempotency_fencing': addIdempotencyFencing,
  '003_refund_refusals': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('refund_refusals')
        .addColumn('charge_key', 'text', (column) => column.primaryKey())
        .addColumn('remaining', 'integer', (column) => column.notNull())
        .execute();
    },
  },
};
