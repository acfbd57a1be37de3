/**
 * The inventory service: owns stock, its prices and reservations. A reservation moves units from `available` to
 * `reserved`, at the price each SKU has then; its release moves them back; its commit (once the order is
 * dispatched) moves them on to `shipped`. Every activity is idempotent on the step's idempotency key, in the same
 * transaction as its effect.
 */
import { randomUUID } from 'node:crypto';
import { log as activityLog } from '@temporalio/activity';
import type { Logger } from '@temporalio/common';
import type { Kysely, Transaction } from 'kysely';
import { BusinessFailure, businessFailure } from '../failures';
import { compensateOnce, runOnce, timestamp } from '../storage/idempotency';
import type { InventorySchema } from './schema';
import { ReservationStatus } from './schema';

export interface StockItem {
  sku: string;
  quantity: number;
}

/** A line as the inventory reserved it: the SKU's price, in cents, when the stock was reserved. */
export interface PricedItem extends StockItem {
  unitPriceCents: number;
}

export interface Reservation {
  reservationId: string;
  orderId: string;
  /** One line per SKU. */
  items: PricedItem[];
  /** What the order pays for its items: the sum of quantity × unit price. */
  totalCents: number;
}

export interface InventoryDeps {
  db: Kysely<InventorySchema>;
  /** Where the service logs: the activity's logger, or a Nexus handler's. @default the activity's */
  log?: Logger;
}

/** An SKU as the catalog stocks and prices it. */
export interface CatalogEntry {
  /** Units stocked when the SKU is first recorded. */
  available: number;
  /** The price of one unit, in cents. */
  unitPriceCents: number;
}

/**
 * The demo catalog stocked when the service starts (missing SKUs only, and missing prices). `SKU-SOLD-OUT` has no
 * units: ordering it drives the out-of-stock path.
 */
export const demoCatalog: Readonly<Record<string, CatalogEntry>> = {
  'SKU-1': { available: 10_000, unitPriceCents: 1250 },
  'SKU-2': { available: 10_000, unitPriceCents: 4999 },
  'SKU-3': { available: 10_000, unitPriceCents: 2500 },
  'SKU-4': { available: 10_000, unitPriceCents: 700 },
  'SKU-5': { available: 10_000, unitPriceCents: 1999 },
  'SKU-SOLD-OUT': { available: 0, unitPriceCents: 100 },
};

/**
 * Records each SKU of the catalog the inventory does not have yet, and prices those it has without a price (stock
 * recorded before prices existed). Stock levels and prices already set are the inventory's own: left as they are.
 */
export async function stockCatalog(db: Kysely<InventorySchema>, catalog: Readonly<Record<string, CatalogEntry>>) {
  for (const [sku, { available, unitPriceCents }] of Object.entries(catalog)) {
    await db
      .insertInto('stock')
      .values({ sku, available, reserved: 0, shipped: 0, unit_price_cents: unitPriceCents })
      .onConflict((conflict) =>
        conflict
          .column('sku')
          .doUpdateSet({ unit_price_cents: unitPriceCents })
          .where('stock.unit_price_cents', 'is', null),
      )
      .execute();
  }
}

/** One line per SKU, quantities added up: an order may list an SKU twice. */
function bySku(items: readonly StockItem[]): StockItem[] {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of items) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return [...totals].map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * The lines in SKU order: the order in which every transaction that updates stock rows takes their locks, so that
 * two that share SKUs wait for each other instead of deadlocking (on PostgreSQL a deadlock aborts one of them, and
 * a compensation that keeps losing would escalate to an operator).
 */
function inLockOrder<Line extends { sku: string }>(lines: readonly Line[]): Line[] {
  return [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}

export function createInventoryActivities({ db, log = activityLog }: InventoryDeps) {
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
    for (const { sku, quantity } of inLockOrder(items)) {
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
    /**
     * Holds stock for an order, at the catalog's prices of the moment, and answers the priced lines and their total.
     * Fails with `OutOfStock` (or `UnknownSku`) and holds nothing if any line is short. The refusal does not say how
     * many units are left (it reaches the customer); the service's log does.
     */
    async reserveStock(input: {
      idempotencyKey: string;
      orderId: string;
      items: StockItem[];
      /**
       * The saga's first run id: binds the reservation's key to the saga that made it, so that a saga started anew
       * under the same workflow id (its history gone) meets an `IdempotencyConflict` at its first step instead of a
       * recorded reservation.
       * @default none: sagas that created the order first bound that step instead
       */
      sagaRunId?: string;
    }): Promise<Reservation> {
      return runOnce(db, { key: input.idempotencyKey, args: input }, async (trx) => {
        const reservationId = randomUUID();
        const lines = bySku(input.items);
        const priced = new Map<string, PricedItem>();
        for (const { sku, quantity } of inLockOrder(lines)) {
          const taken = await trx
            .updateTable('stock')
            .set((eb) => ({ available: eb('available', '-', quantity), reserved: eb('reserved', '+', quantity) }))
            .where('sku', '=', sku)
            .where('available', '>=', quantity)
            .where('unit_price_cents', 'is not', null)
            .returning('unit_price_cents')
            .executeTakeFirst();
          if (!taken || taken.unit_price_cents === null)
            throw await refusal(trx, log, { orderId: input.orderId, sku, requested: quantity });
          priced.set(sku, { sku, quantity, unitPriceCents: taken.unit_price_cents });
        }
        // Answered in the order's own order of lines.
        const items = lines.map(({ sku }) => priced.get(sku)!);
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
          .values(
            items.map(({ sku, quantity, unitPriceCents }) => ({
              reservation_id: reservationId,
              sku,
              quantity,
              unit_price_cents: unitPriceCents,
            })),
          )
          .execute();
        const totalCents = items.reduce((total, item) => total + item.quantity * item.unitPriceCents, 0);
        return { reservationId, orderId: input.orderId, items, totalCents };
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

/**
 * Why a line could not be reserved: an SKU the inventory does not sell (`UnknownSku`), or too few units
 * (`OutOfStock`). How many units are left goes to the service's log, for an operator, never into the failure.
 */
async function refusal(
  trx: Transaction<InventorySchema>,
  log: Logger,
  { orderId, sku, requested }: { orderId: string; sku: string; requested: number },
) {
  const stock = await trx
    .selectFrom('stock')
    .select(['available', 'unit_price_cents'])
    .where('sku', '=', sku)
    .executeTakeFirst();
  if (!stock) return businessFailure(BusinessFailure.UnknownSku, `No SKU ${sku} in the catalog.`, { sku });
  if (stock.unit_price_cents === null) {
    return businessFailure(BusinessFailure.UnknownSku, `SKU ${sku} has no price in the catalog.`, { sku });
  }
  // A warning: the workers log nothing below it, and an SKU that runs short is for an operator to restock.
  log.warn(`Out of stock: ${stock.available} of ${sku} left, order ${orderId} needs ${requested}`, {
    orderId,
    sku,
    available: stock.available,
    requested,
  });
  return businessFailure(BusinessFailure.OutOfStock, `Not enough of ${sku} in stock: the order needs ${requested}.`, {
    sku,
    requested,
  });
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
