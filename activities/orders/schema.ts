/** The orders service's database: orders and their status, and the notifications sent to customers. */
import type { Kysely, Migration } from 'kysely';
import type { IdempotencySchema } from '../storage/idempotency';
import { addIdempotencyFencing, createIdempotencyKeys } from '../storage/idempotency';

export const OrderRowStatus = {
  /** Created; the saga is reserving, charging, shipping. */
  Pending: 'pending',
  /** Dispatched by the shipping service. */
  Confirmed: 'confirmed',
  /** Undone by the saga's compensation. */
  Cancelled: 'cancelled',
} as const;
export type OrderRowStatus = (typeof OrderRowStatus)[keyof typeof OrderRowStatus];

export interface OrdersTable {
  order_id: string;
  customer_id: string;
  status: OrderRowStatus;
  total_cents: number;
  /** JSON: the items and the shipping address, as ordered. */
  items: string;
  shipping_address: string;
  shipment_id: string | null;
  cancel_reason: string | null;
  created_at: string;
  updated_at: string;
}

export interface NotificationsTable {
  notification_id: string;
  order_id: string;
  customer_id: string;
  message: string;
  created_at: string;
}

export interface OrdersSchema extends IdempotencySchema {
  orders: OrdersTable;
  notifications: NotificationsTable;
}

export const ordersMigrations: Record<string, Migration> = {
  '001_orders': {
    async up(db: Kysely<unknown>) {
      await createIdempotencyKeys.up(db);
      await db.schema
        .createTable('orders')
        .addColumn('order_id', 'text', (column) => column.primaryKey())
        .addColumn('customer_id', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('total_cents', 'bigint', (column) => column.notNull())
        .addColumn('items', 'text', (column) => column.notNull())
        .addColumn('shipping_address', 'text', (column) => column.notNull())
        .addColumn('shipment_id', 'text')
        .addColumn('cancel_reason', 'text')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('orders_by_customer').on('orders').column('customer_id').execute();
      await db.schema
        .createTable('notifications')
        .addColumn('notification_id', 'text', (column) => column.primaryKey())
        .addColumn('order_id', 'text', (column) => column.notNull())
        .addColumn('customer_id', 'text', (column) => column.notNull())
        .addColumn('message', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .execute();
    },
  },
  '002_idempotency_fencing': addIdempotencyFencing,
};
