/**
 * The inventory service: owns stock and reservations. A reservation moves units from `available` to `reserved`;
 * its release moves them back; its commit (once the order is dispatched) moves them on to `shipped`. Every
 * activity is idempotent on the step's idempotency key, in the same transaction as its effect.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { BusinessFailure, businessFailure } from '../failures';
import { compensateOnce, runOnce, timestamp } from '../storage/idempotency';
import type { InventorySchema } from './schema';
import { ReservationStatus } from './schema';

export interface StockItem {
  sku: string;
  quantity: number;
}

export interface Reservation {
  reservationId: string;
  orderId: string;
  items: StockItem[];
}

export interface InventoryDeps {
  db: Kysely<InventorySchema>;
}

/**
 * The demo catalog stocked when the service starts (missing SKUs only). `SKU-SOLD-OUT` has none: ordering it
 * drives the out-of-stock path.
 */
export const demoCatalog: Readonly<Record<string, number>> = {
  'SKU-1': 10_000,
  'SKU-2': 10_000,
  'SKU-3': 10_000,
  'SKU-4': 10_000,
  'SKU-5': 10_000,
  'SKU-SOLD-OUT': 0,
};

export async function stockCatalog(db: Kysely<InventorySchema>, catalog: Readonly<Record<string, number>>) {
  for (const [sku, available] of Object.entries(catalog)) {
    await db
      .insertInto('stock')
      .values({ sku, available, reserved: 0, shipped: 0 })
      .onConflict((conflict) => conflict.column('sku').doNothing())
      .execute();
  }
}

/** One line per SKU, quantities added up: an order may list an SKU twice. */
function bySku(items: readonly StockItem[]): StockItem[] {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of items) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return [...totals].map(([sku, quantity]) => ({ sku, quantity }));
}

export function createInventoryActivities({ db }: InventoryDeps) {
  /** Moves a held reservation's units out of `reserved`, to `available` (release) or `shipped` (commit). */
  async function settle(
    trx: Transaction<InventorySchema>,
    reservationKey: string,
    to: 'available' | 'shipped',
  ): Promise<boolean> {
    const reservation = await trx
      .selectFrom('reservations')
      .select(['reservation_id', 'status'])
      .where('step_key', '=', reservationKey)
      .executeTakeFirst();
    if (reservation?.status !== ReservationStatus.Held) return false;
    const items = await trx
      .selectFrom('reservation_items')
      .select(['sku', 'quantity'])
      .where('reservation_id', '=', reservation.reservation_id)
      .execute();
    for (const { sku, quantity } of items) {
      await trx
        .updateTable('stock')
        .set((eb) => ({ reserved: eb('reserved', '-', quantity), [to]: eb(to, '+', quantity) }))
        .where('sku', '=', sku)
        .execute();
    }
    await trx
      .updateTable('reservations')
      .set({
        status: to === 'available' ? ReservationStatus.Released : ReservationStatus.Shipped,
        updated_at: timestamp(),
      })
      .where('reservation_id', '=', reservation.reservation_id)
      .execute();
    return true;
  }

  return {
    /** Holds stock for an order; fails with `OutOfStock` (or `UnknownSku`) and holds nothing if any line is short. */
    async reserveStock(input: { idempotencyKey: string; orderId: string; items: StockItem[] }): Promise<Reservation> {
      return runOnce(db, { key: input.idempotencyKey, args: input }, async (trx) => {
        const reservationId = randomUUID();
        const items = bySku(input.items);
        for (const { sku, quantity } of items) {
          const taken = await trx
            .updateTable('stock')
            .set((eb) => ({ available: eb('available', '-', quantity), reserved: eb('reserved', '+', quantity) }))
            .where('sku', '=', sku)
            .where('available', '>=', quantity)
            .executeTakeFirst();
          if (taken.numUpdatedRows === 0n) {
            const stock = await trx.selectFrom('stock').select('available').where('sku', '=', sku).executeTakeFirst();
            if (!stock) throw businessFailure(BusinessFailure.UnknownSku, `No SKU ${sku} in the catalog.`, { sku });
            throw businessFailure(
              BusinessFailure.OutOfStock,
              `Only ${stock.available} of ${sku} in stock; the order needs ${quantity}.`,
              { sku, available: stock.available, requested: quantity },
            );
          }
        }
        const now = timestamp();
        await trx
          .insertInto('reservations')
          .values({
            reservation_id: reservationId,
            order_id: input.orderId,
            step_key: input.idempotencyKey,
            status: ReservationStatus.Held,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await trx
          .insertInto('reservation_items')
          .values(items.map((item) => ({ reservation_id: reservationId, ...item })))
          .execute();
        return { reservationId, orderId: input.orderId, items };
      });
    },

    /** Compensation of `reserveStock`: puts the units back. No held reservation under that key: nothing to do. */
    async releaseStock(input: { idempotencyKey: string; reservationKey: string }): Promise<{ released: boolean }> {
      const call = { key: input.idempotencyKey, args: input, actionKey: input.reservationKey };
      return compensateOnce(db, call, async (trx) => ({
        released: await settle(trx, input.reservationKey, 'available'),
      }));
    },

    /** Once the order is dispatched: the reserved units have left the warehouse. */
    async commitStock(input: { idempotencyKey: string; reservationKey: string }): Promise<{ committed: boolean }> {
      return runOnce(db, { key: input.idempotencyKey, args: input }, async (trx) => ({
        committed: await settle(trx, input.reservationKey, 'shipped'),
      }));
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
