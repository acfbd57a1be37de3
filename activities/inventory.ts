/**
 * The inventory service's activities. Every activity is idempotent on the step's idempotency key: a retry returns
 * the first result and changes nothing.
 */
import { randomUUID } from 'node:crypto';

export interface StockItem {
  sku: string;
  quantity: number;
}

export interface ReserveStockInput {
  idempotencyKey: string;
  orderId: string;
  items: StockItem[];
}

export interface Reservation {
  reservationId: string;
  orderId: string;
  items: StockItem[];
}

export interface InventoryDeps {
  /** Reservations by idempotency key. In memory until the service gets its own database. */
  reservations: Map<string, Reservation>;
}

export function createInventoryActivities(deps: InventoryDeps) {
  return {
    async reserveStock(input: ReserveStockInput): Promise<Reservation> {
      const existing = deps.reservations.get(input.idempotencyKey);
      if (existing) return existing;
      const reservation = { reservationId: `res-${randomUUID()}`, orderId: input.orderId, items: input.items };
      deps.reservations.set(input.idempotencyKey, reservation);
      return reservation;
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
