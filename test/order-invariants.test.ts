/**
 * A batch of 100 mixed orders placed at once through the API, then the invariants that must hold whatever
 * happened to each: stock is conserved, a cancelled order nets zero money, a completed one was charged and shipped
 * exactly once.
 */
import { demoCatalog } from '../activities/inventory';
import type { PlaceOrderRequest } from '../api/orders/schema';
import { undeliverableAddress } from './fixtures/orders';
import { orderReaches, placeOrder } from './orders';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

type Kind = 'normal' | 'soldOut' | 'declined' | 'undeliverable' | 'flaky';

const expectedStatus: Record<Kind, string> = {
  normal: 'completed',
  flaky: 'completed',
  soldOut: 'cancelled',
  declined: 'cancelled',
  undeliverable: 'cancelled',
};

function orderOf(kind: Kind, index: number): Partial<PlaceOrderRequest> {
  const sku = `SKU-${(index % 5) + 1}`;
  const items = [
    { sku, quantity: (index % 3) + 1, unitPriceCents: 1000 + index },
    { sku: 'SKU-1', quantity: 1, unitPriceCents: 500 },
  ];
  switch (kind) {
    case 'normal':
      return { items };
    case 'flaky':
      return { items, paymentToken: 'tok_flaky_1' };
    case 'soldOut':
      return { items: [...items, { sku: 'SKU-SOLD-OUT', quantity: 1, unitPriceCents: 100 }] };
    case 'declined':
      return { items, paymentToken: 'tok_declined' };
    case 'undeliverable':
      return {
        items,
        shippingAddress: undeliverableAddress,
      };
  }
}

describe('invariants over a batch of mixed orders', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('conserves stock, nets compensated orders to zero, and charges and ships each completed order once', async () => {
    const kinds: Kind[] = [
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
    const batch = Array.from({ length: 100 }, (_, index) => ({ kind: kinds[index % kinds.length]!, index }));

    const placed = await Promise.all(
      batch.map(async ({ kind, index }) => ({ kind, orderId: await placeOrder(system.apiUrl, orderOf(kind, index)) })),
    );
    const settled = await Promise.all(
      placed.map(async ({ kind, orderId }) => ({
        kind,
        orderId,
        status: (await orderReaches(system.apiUrl, orderId, ['completed', 'cancelled'], 120_000)).status,
      })),
    );
    for (const { kind, status } of settled) expect(`${kind}: ${status}`).toBe(`${kind}: ${expectedStatus[kind]}`);

    const { orders, inventory, payments, shipping } = system.databases;

    // Stock: every unit is available, reserved or shipped; nothing is left reserved once all orders settled.
    const stock = await inventory.selectFrom('stock').selectAll().execute();
    for (const row of stock) {
      expect({ sku: row.sku, total: row.available + row.reserved + row.shipped, reserved: row.reserved }).toEqual({
        sku: row.sku,
        total: demoCatalog[row.sku],
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
      expect(orderShipments[0]?.status).toBe('dispatched');
      expect(order?.status).toBe('confirmed');
    }
    for (const orderId of cancelled) {
      expect(orderRows.find((row) => row.order_id === orderId)?.status).toBe('cancelled');
    }
  }, 180_000);
});
