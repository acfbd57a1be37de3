/**
 * The orders service: owns orders and their status. Every activity is idempotent on the step's idempotency key
 * (recorded in the same transaction as its effect); the compensation tolerates "nothing to undo".
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { compensateOnce, runOnce, timestamp } from '../storage/idempotency';
import type { OrdersSchema } from './schema';
import { OrderRowStatus } from './schema';

/** A line of the order, priced: the client names the SKU and quantity, the inventory the price. */
export interface OrderItem {
  sku: string;
  quantity: number;
  /** Price of one unit, in cents: the inventory's, when it reserved the stock. */
  unitPriceCents: number;
}

export interface ShippingAddress {
  name: string;
  line1: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface Order {
  orderId: string;
  customerId: string;
  items: OrderItem[];
  paymentToken: string;
  shippingAddress: ShippingAddress;
}

export interface OrdersDeps {
  db: Kysely<OrdersSchema>;
}

export function createOrdersActivities({ db }: OrdersDeps) {
  return {
    /** Records the order as `pending`, with its priced items and the total the saga charges. */
    async createOrder(input: {
      idempotencyKey: string;
      order: Order;
      totalCents: number;
      /**
       * The saga's first run id: binds the order's key to the saga that created it, so that a saga started anew
       * under the same workflow id (its history gone) meets an `IdempotencyConflict` instead of a recorded order.
       * @default none: sagas started before it passed none
       */
      sagaRunId?: string;
    }): Promise<{ orderId: string }> {
      const { idempotencyKey, order, totalCents } = input;
      return runOnce(db, { key: idempotencyKey, args: input }, async (trx) => {
        const now = timestamp();
        await trx
          .insertInto('orders')
          .values({
            order_id: order.orderId,
            customer_id: order.customerId,
            status: OrderRowStatus.Pending,
            total_cents: totalCents,
            items: JSON.stringify(order.items),
            shipping_address: JSON.stringify(order.shippingAddress),
            shipment_id: null,
            cancel_reason: null,
            created_at: now,
            updated_at: now,
          })
          .onConflict((conflict) => conflict.column('order_id').doNothing())
          .execute();
        return { orderId: order.orderId };
      });
    },

    /** Compensation of `createOrder`: marks the order `cancelled`, with the reason; no order, nothing to do. */
    async cancelOrder(input: {
      idempotencyKey: string;
      /** The `createOrder` step's key, fenced off for good. @default none: older sagas passed no key */
      orderKey?: string;
      orderId: string;
      reason: string;
    }): Promise<{ cancelled: boolean }> {
      const undo = async (trx: Transaction<OrdersSchema>) => {
        const result = await trx
          .updateTable('orders')
          .set({ status: OrderRowStatus.Cancelled, cancel_reason: input.reason, updated_at: timestamp() })
          .where('order_id', '=', input.orderId)
          .where('status', '=', OrderRowStatus.Pending)
          .executeTakeFirst();
        return { cancelled: result.numUpdatedRows > 0n };
      };
      const call = { key: input.idempotencyKey, args: input };
      return input.orderKey
        ? compensateOnce(db, { ...call, actionKey: input.orderKey }, undo)
        : runOnce(db, call, undo);
    },

    /** Marks the order `confirmed` once shipping has dispatched it. */
    async confirmOrder(input: { idempotencyKey: string; orderId: string; shipmentId: string }): Promise<void> {
      await runOnce(db, { key: input.idempotencyKey, args: input }, async (trx) => {
        await trx
          .updateTable('orders')
          .set({ status: OrderRowStatus.Confirmed, shipment_id: input.shipmentId, updated_at: timestamp() })
          .where('order_id', '=', input.orderId)
          .execute();
        return null;
      });
    },

    /** Sends the customer their confirmation (recorded as sent: the service's outbox). */
    async notifyCustomer(input: {
      idempotencyKey: string;
      orderId: string;
      customerId: string;
      message: string;
    }): Promise<{ notificationId: string }> {
      return runOnce(db, { key: input.idempotencyKey, args: input }, async (trx) => {
        const notificationId = randomUUID();
        await trx
          .insertInto('notifications')
          .values({
            notification_id: notificationId,
            order_id: input.orderId,
            customer_id: input.customerId,
            message: input.message,
            created_at: timestamp(),
          })
          .execute();
        return { notificationId };
      });
    },
  };
}

export type OrdersActivities = ReturnType<typeof createOrdersActivities>;
