/** The inventory service's database: stock per SKU, and the reservations held against it. */
import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';
import type { IdempotencySchema } from '../storage/idempotency';
import { addIdempotencyFencing, createIdempotencyKeys } from '../storage/idempotency';

export interface StockTable {
  sku: string;
  /** Units free to reserve. */
  available: number;
  /** Units held for orders not yet shipped. */
  reserved: number;
  /** Units gone out with shipments. available + reserved + shipped only changes when stock is received. */
  shipped: number;
  /**
   * The price of one unit, in cents: what an order pays, fixed when its stock is reserved. Null for stock recorded
   * before the inventory priced it, until the catalog prices it: such an SKU is not for sale.
   */
  unit_price_cents: number | null;
}

export const ReservationStatus = {
  Held: 'held',
  Released: 'released',
  Shipped: 'shipped',
} as const;
export type ReservationStatus = (typeof ReservationStatus)[keyof typeof ReservationStatus];

export interface ReservationsTable {
  reservation_id: string;
  order_id: string;
  /** The reserving step's idempotency key: how its compensation finds it. */
  step_key: string;
  status: ReservationStatus;
  created_at: string;
  updated_at: string;
}

export interface ReservationItemsTable {
  reservation_id: string;
  sku: string;
  quantity: number;
  /** The SKU's price when the stock was reserved, in cents; null for reservations made before prices. */
  unit_price_cents: number | null;
}

export interface InventorySchema extends IdempotencySchema {
  stock: StockTable;
  reservations: ReservationsTable;
  reservation_items: ReservationItemsTable;
}

/**
 * The inventory owns each SKU's price (the client never sets one), and each reservation keeps the prices it was made
 * at. Nullable: rows written before have none (see {@link StockTable.unit_price_cents}).
 */
const addPrices: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('stock')
      .addColumn('unit_price_cents', 'bigint', (column) => column.check(sqlNonNegative('unit_price_cents')))
      .execute();
    await db.schema.alterTable('reservation_items').addColumn('unit_price_cents', 'bigint').execute();
  },
};

export const inventoryMigrations: Record<string, Migration> = {
  '001_inventory': {
    async up(db: Kysely<unknown>) {
      await createIdempotencyKeys.up(db);
      await db.schema
        .createTable('stock')
        .addColumn('sku', 'text', (column) => column.primaryKey())
        .addColumn('available', 'integer', (column) => column.notNull().check(sqlNonNegative('available')))
        .addColumn('reserved', 'integer', (column) => column.notNull().check(sqlNonNegative('reserved')))
        .addColumn('shipped', 'integer', (column) => column.notNull().check(sqlNonNegative('shipped')))
        .execute();
      await db.schema
        .createTable('reservations')
        .addColumn('reservation_id', 'text', (column) => column.primaryKey())
        .addColumn('order_id', 'text', (column) => column.notNull())
        .addColumn('step_key', 'text', (column) => column.notNull().unique())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('reservation_items')
        .addColumn('reservation_id', 'text', (column) => column.notNull().references('reservations.reservation_id'))
        .addColumn('sku', 'text', (column) => column.notNull())
        .addColumn('quantity', 'integer', (column) => column.notNull())
        .addPrimaryKeyConstraint('reservation_items_pk', ['reservation_id', 'sku'])
        .execute();
    },
  },
  '002_idempotency_fencing': addIdempotencyFencing,
  '003_prices': addPrices,
};

function sqlNonNegative(column: string) {
  return sql.raw(`${column} >= 0`);
}
