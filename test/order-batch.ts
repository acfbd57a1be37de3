/**
 * A batch of mixed orders (every path: completed, out of stock, declined, undeliverable, transient failures) and
 * the invariants that must hold over the services' databases once every order has settled, whatever happened to
 * each: stock is conserved, a cancelled order nets zero money, a completed one was charged and shipped exactly
 * once.
 */
import type { StockItem } from '../activities/inventory';
import { demoCatalog } from '../activities/inventory';
import type { PlaceOrderRequest } from '../api/orders/schema';
import { catalogTotalCents, undeliverableAddress } from './fixtures/orders';
import { orderReaches } from './orders';
import type { Databases } from './system';

export type OrderKind = 'normal' | 'soldOut' | 'declined' | 'undeliverable' | 'flaky';

export const expectedStatus: Record<OrderKind, string> = {
  normal: 'completed',
  flaky: 'completed',
  soldOut: 'cancelled',
  declined: 'cancelled',
  undeliverable: 'cancelled',
};

const kindCycle: OrderKind[] = [
  'normal',
  'normal',
  'normal',
  'normal',
  'normal',
  'normal',
  'soldOut',
  'declined',
  'undeliverable',
  'flaky',
];

/** `size` orders, six in ten normal and one in ten of each other kind, their items varied by index. */
export function mixedBatch(size: number, first = 0): { kind: OrderKind; request: Partial<PlaceOrderRequest> }[] {
  return Array.from({ length: size }, (_, offset) => {
    const index = first + offset;
    const kind = kindCycle[index % kindCycle.length]!;
    return { kind, request: orderOf(kind, index) };
  });
}

function orderOf(kind: OrderKind, index: number): Partial<PlaceOrderRequest> {
  const sku = `SKU-${(index % 5) + 1}`;
  const items = [
    { sku, quantity: (index % 3) + 1 },
    { sku: 'SKU-1', quantity: 1 },
  ];
  switch (kind) {
    case 'normal':
      return { items };
    case 'flaky':
      return { items, paymentToken: 'tok_flaky_1' };
    case 'soldOut':
      return { items: [...items, { sku: 'SKU-SOLD-OUT', quantity: 1 }] };
    case 'declined':
      return { items, paymentToken: 'tok_declined' };
    case 'undeliverable':
      return { items, shippingAddress: undeliverableAddress };
  }
}

export interface SettledOrder {
  kind: OrderKind;
  orderId: string;
  status: string;
}

/** Waits until every placed order has settled (completed or cancelled), and returns each with its status. */
export function settleAll(
  apiUrl: string,
  placed: readonly { kind: OrderKind; orderId: string }[],
): Promise<SettledOrder[]> {
  return Promise.all(
    placed.map(async ({ kind, orderId }) => ({
      kind,
      orderId,
      status: (await orderReaches(apiUrl, orderId, ['completed', 'cancelled'], 120_000)).status,
    })),
  );
}

/** Every order settled as its kind says, and the databases agree. */
export async function expectOrderInvariants(
  { orders, inventory, payments, shipping }: Databases,
  settled: readonly SettledOrder[],
): Promise<void> {
  for (const { kind, status } of settled) expect(`${kind}: ${status}`).toBe(`${kind}: ${expectedStatus[kind]}`);
  // Stock: every unit is available, reserved or shipped; nothing is left reserved once all orders settled.
  const stock = await inventory.selectFrom('stock').selectAll().execute();
  for (const row of stock) {
    expect({ sku: row.sku, total: row.available + row.reserved + row.shipped, reserved: row.reserved }).toEqual({
      sku: row.sku,
      total: demoCatalog[row.sku]?.available,
      reserved: 0,
    });
  }
  const completed = settled.filter(({ status }) => status === 'completed').map(({ orderId }) => orderId);
  const cancelled = settled.filter(({ status }) => status === 'cancelled').map(({ orderId }) => orderId);
  const orderRows = await orders.selectFrom('orders').selectAll().execute();
  // What went out per SKU is exactly what the completed orders asked for.
  const orderedBySku = new Map<string, number>();
  for (const row of orderRows.filter((order) => completed.includes(order.order_id))) {
    for (const item of JSON.parse(row.items) as { sku: string; quantity: number }[]) {
      orderedBySku.set(item.sku, (orderedBySku.get(item.sku) ?? 0) + item.quantity);
    }
  }
  expect(Object.fromEntries(stock.filter((row) => row.shipped > 0).map((row) => [row.sku, row.shipped]))).toEqual(
    Object.fromEntries(orderedBySku),
  );

  // Money: per order, charges minus refunds.
  const charges = await payments.selectFrom('charges').selectAll().execute();
  const refunds = await payments.selectFrom('refunds').selectAll().execute();
  const refunded = new Map(refunds.map((refund) => [refund.charge_id, refund.amount_cents]));
  const net = (orderId: string) =>
    charges
      .filter((charge) => charge.order_id === orderId)
      .reduce((sum, charge) => sum + charge.amount_cents - (refunded.get(charge.charge_id) ?? 0), 0);
  for (const orderId of cancelled) expect({ orderId, net: net(orderId) }).toEqual({ orderId, net: 0 });

  // Never two charges for one order, whatever its path (a retried charge finds the first one).
  const chargedTwice = settled
    .map(({ orderId }) => orderId)
    .filter((orderId) => charges.filter((charge) => charge.order_id === orderId).length > 1);
  expect(chargedTwice).toEqual([]);

  const shipments = await shipping.selectFrom('shipments').selectAll().execute();
  for (const orderId of completed) {
    const order = orderRows.find((row) => row.order_id === orderId);
    const orderCharges = charges.filter((charge) => charge.order_id === orderId);
    const orderShipments = shipments.filter((shipment) => shipment.order_id === orderId);
    expect({ orderId, charges: orderCharges.length, shipments: orderShipments.length }).toEqual({
      orderId,
      charges: 1,
      shipments: 1,
    });
    expect(orderCharges[0]?.amount_cents).toBe(order?.total_cents);
    // The client sent no price: the total is the catalog's.
    const items = JSON.parse(order?.items ?? '[]') as StockItem[];
    expect({ orderId, total: order?.total_cents }).toEqual({ orderId, total: catalogTotalCents(items) });
    expect(orderShipments[0]?.status).toBe('dispatched');
    expect(order?.status).toBe('confirmed');
  }
  // An order is recorded once its stock is reserved: one the inventory could not fill has no row.
  for (const { kind, orderId } of settled.filter(({ status }) => status === 'cancelled')) {
    const row = orderRows.find((order) => order.order_id === orderId);
    expect({ orderId, row: row?.status }).toEqual({ orderId, row: kind === 'soldOut' ? undefined : 'cancelled' });
  }
}
