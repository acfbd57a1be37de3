/** The shipping service's database: shipments, and the token of the order activity each one will complete. */
import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';
import type { IdempotencySchema } from '../storage/idempotency';
import { addIdempotencyFencing, createIdempotencyKeys } from '../storage/idempotency';

export const ShipmentStatus = {
  /** Accepted from the order saga; the shipment workflow is assessing it. */
  Requested: 'requested',
  /** Handed to the courier: the order's point of no return. */
  Dispatched: 'dispatched',
  /** Refused after acceptance, e.g. an address no courier serves. */
  Rejected: 'rejected',
} as const;
export type ShipmentStatus = (typeof ShipmentStatus)[keyof typeof ShipmentStatus];

/** The `task_token` of a request that came through Nexus: none, since no activity waits for its decision. */
export const noTaskToken = '';

export interface ShipmentsTable {
  shipment_id: string;
  order_id: string;
  /** The requesting step's idempotency key. */
  step_key: string;
  status: ShipmentStatus;
  /** JSON. */
  address: string;
  items: string;
  /** Base64 task token of the order's live `requestShipment` attempt, completed when the shipment is decided. */
  task_token: string;
  /** When its `shipment` workflow was started; null until then (a request lost before it is handed over again). */
  handed_over_at: string | null;
  /** When the order's waiting step was last heartbeaten from this row (`keepOrdersWaiting`). */
  beaten_at: string | null;
  tracking_number: string | null;
  rejection_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface ShippingSchema extends IdempotencySchema {
  shipments: ShipmentsTable;
}

export const shippingMigrations: Record<string, Migration> = {
  '001_shipping': {
    async up(db: Kysely<unknown>) {
      await createIdempotencyKeys.up(db);
      await db.schema
        .createTable('shipments')
        .addColumn('shipment_id', 'text', (column) => column.primaryKey())
        .addColumn('order_id', 'text', (column) => column.notNull())
        .addColumn('step_key', 'text', (column) => column.notNull().unique())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('address', 'text', (column) => column.notNull())
        .addColumn('items', 'text', (column) => column.notNull())
        .addColumn('task_token', 'text', (column) => column.notNull())
        .addColumn('tracking_number', 'text')
        .addColumn('rejection_reason', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('shipments_by_order').on('shipments').column('order_id').execute();
    },
  },
  '002_idempotency_fencing': addIdempotencyFencing,
  '003_orders_kept_waiting': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('shipments').addColumn('handed_over_at', 'text').execute();
      await db.schema.alterTable('shipments').addColumn('beaten_at', 'text').execute();
      // Requests taken before this migration were all handed over (or are retried, which hands them over).
      await sql`update shipments set handed_over_at = created_at`.execute(db);
      await db.schema.createIndex('shipments_by_status').on('shipments').column('status').execute();
    },
  },
};
