/**
 * What must hold once every saga of the chaos run has ended, whatever was killed under it, read from the services'
 * own rows and from Temporal: each order ended as its path and its cancellation say; no charge without a completed
 * order or its refund; no order charged twice; no refund without its charge; stock conserved and nothing left
 * reserved; no shipment for a cancelled order. Each breach is returned as a {@link Violation}, all of them, rather
 * than stopping at the first as a test's assertion would, so that one run shows everything that went wrong.
 */
import { demoCatalog } from '../../activities/inventory';
import type { SagaState } from '../../workflows/saga';
import { catalogTotalCents } from '../fixtures/orders';
import type { Databases } from '../system';
import { expectedStatus } from './plan';
import type { OrderRecord } from './traffic';

export interface Violation {
  /** Which invariant, e.g. `double-charge`. */
  rule: string;
  orderId?: string;
  /** What the rows (or Temporal) say. */
  detail: string;
}

/** An order of the run once its saga has ended, as the API and Temporal read it. */
export interface FinalOrder {
  record: OrderRecord;
  orderId: string;
  /** The order's status from `GET /orders/:id`. */
  status: string;
  saga: SagaState;
  /** The execution's status in Temporal: `COMPLETED`, `FAILED`, `RUNNING`, … */
  execution: string;
}

/** The workflow execution status each final order status must come with. */
const executionOf: Record<string, string> = { completed: 'COMPLETED', cancelled: 'FAILED' };

/**
 * The statuses an order may end in: its path's, unless a cancellation was accepted, by the client's reading (a
 * 202) or by the saga's own record (a first attempt whose answer the client lost, then a 409 "already stopping").
 */
export function allowedStatuses({ plan, cancel }: OrderRecord, saga: SagaState): string[] {
  if (cancel?.kind === 'accepted' || saga.cancellation?.outcome === 'accepted') return ['cancelled'];
  return [expectedStatus[plan.kind]];
}

/** Each order ended, as its path and its cancellation say, and Temporal agrees with the API. */
export function outcomeViolations(orders: readonly FinalOrder[]): Violation[] {
  const violations: Violation[] = [];
  for (const { record, orderId, status, saga, execution } of orders) {
    const allowed = allowedStatuses(record, saga);
    if (!allowed.includes(status)) {
      const cancellation = saga.cancellation
        ? `; the saga recorded the cancellation as ${saga.cancellation.outcome} at ${saga.cancellation.requestedAt}`
        : '';
      violations.push({
        rule: 'unexpected-outcome',
        orderId,
        detail: `${record.plan.kind} order, cancel ${record.cancel?.kind ?? 'none'}: ended ${status}, expected ${allowed.join(' or ')}${cancellation}`,
      });
    }
    if (record.cancel?.kind === 'accepted' && saga.cancellation?.outcome !== 'accepted') {
      violations.push({
        rule: 'accepted-cancel-unrecorded',
        orderId,
        detail: `the API answered 202 to the cancellation; the saga's state says ${JSON.stringify(saga.cancellation)}`,
      });
    }
    if (executionOf[status] !== execution) {
      violations.push({
        rule: 'saga-execution-disagrees',
        orderId,
        detail: `the API says ${status}, Temporal's execution is ${execution}`,
      });
    }
  }
  return violations;
}

/** The invariants over the services' rows. */
export async function rowViolations(databases: Databases, orders: readonly FinalOrder[]): Promise<Violation[]> {
  const [orderRows, charges, refunds, stock, reservations, shipments] = await Promise.all([
    databases.orders.selectFrom('orders').selectAll().execute(),
    databases.payments.selectFrom('charges').selectAll().execute(),
    databases.payments.selectFrom('refunds').selectAll().execute(),
    databases.inventory.selectFrom('stock').selectAll().execute(),
    databases.inventory.selectFrom('reservations').selectAll().execute(),
    databases.shipping.selectFrom('shipments').selectAll().execute(),
  ]);
  const violations: Violation[] = [];
  const byOrder = <Row extends { order_id: string }>(rows: Row[]) => {
    const grouped = new Map<string, Row[]>();
    for (const row of rows) grouped.set(row.order_id, [...(grouped.get(row.order_id) ?? []), row]);
    return (orderId: string) => grouped.get(orderId) ?? [];
  };
  const chargesOf = byOrder(charges);
  const shipmentsOf = byOrder(shipments);
  const reservationsOf = byOrder(reservations);
  const orderRowOf = new Map(orderRows.map((row) => [row.order_id, row]));
  const refundOf = new Map(refunds.map((refund) => [refund.charge_id, refund]));
  const statusOf = new Map(orders.map(({ orderId, status }) => [orderId, status]));
  const completed = orders.filter(({ status }) => status === 'completed');

  // Money.
  for (const charge of charges) {
    const status = statusOf.get(charge.order_id) ?? 'not of this run';
    const refund = refundOf.get(charge.charge_id);
    if (status !== 'completed' && !refund) {
      violations.push({
        rule: 'charge-without-completed-order-or-refund',
        orderId: charge.order_id,
        detail: `charge ${charge.charge_id} (${charge.amount_cents} cents, ${charge.status}) of an order that ended ${status}, not refunded`,
      });
    }
    if (status === 'completed' && refund) {
      violations.push({
        rule: 'refund-of-completed-order',
        orderId: charge.order_id,
        detail: `charge ${charge.charge_id} of a completed order was refunded (${refund.refund_id})`,
      });
    }
    if (refund && refund.amount_cents !== charge.amount_cents) {
      violations.push({
        rule: 'refund-amount',
        orderId: charge.order_id,
        detail: `refund ${refund.refund_id} of ${refund.amount_cents} cents for a charge of ${charge.amount_cents}`,
      });
    }
  }
  for (const orderId of new Set(charges.map((charge) => charge.order_id))) {
    const orderCharges = chargesOf(orderId);
    if (orderCharges.length > 1) {
      const amounts = orderCharges.map(
        (charge) => `${charge.charge_id} (${charge.amount_cents} cents, ${charge.status})`,
      );
      violations.push({
        rule: 'double-charge',
        orderId,
        detail: `${orderCharges.length} charges: ${amounts.join(', ')}`,
      });
    }
  }
  const chargeIds = new Set(charges.map((charge) => charge.charge_id));
  for (const refund of refunds) {
    if (!chargeIds.has(refund.charge_id)) {
      violations.push({
        rule: 'refund-without-charge',
        detail: `refund ${refund.refund_id} of charge ${refund.charge_id}`,
      });
    }
  }

  // Stock.
  const shippedBySku = new Map<string, number>();
  for (const { record } of completed) {
    for (const item of record.plan.request.items) {
      shippedBySku.set(item.sku, (shippedBySku.get(item.sku) ?? 0) + item.quantity);
    }
  }
  for (const row of stock) {
    const total = row.available + row.reserved + row.shipped;
    if (total !== demoCatalog[row.sku]?.available) {
      violations.push({
        rule: 'stock-not-conserved',
        detail: `${row.sku}: ${row.available} available + ${row.reserved} reserved + ${row.shipped} shipped = ${total}, catalog ${demoCatalog[row.sku]?.available}`,
      });
    }
    if (row.reserved !== 0) {
      violations.push({ rule: 'stock-left-reserved', detail: `${row.sku}: ${row.reserved} units still reserved` });
    }
    if (row.shipped !== (shippedBySku.get(row.sku) ?? 0)) {
      violations.push({
        rule: 'shipped-stock-disagrees',
        detail: `${row.sku}: ${row.shipped} shipped, the completed orders asked for ${shippedBySku.get(row.sku) ?? 0}`,
      });
    }
  }
  for (const reservation of reservations.filter(({ status }) => status === 'held')) {
    violations.push({
      rule: 'stock-left-reserved',
      orderId: reservation.order_id,
      detail: `reservation ${reservation.reservation_id} still held`,
    });
  }

  // Each order's rows agree with how its saga ended.
  for (const { orderId, status, record } of orders) {
    const row = orderRowOf.get(orderId);
    const dispatched = shipmentsOf(orderId).filter((shipment) => shipment.status === 'dispatched');
    if (status === 'cancelled') {
      if (dispatched.length > 0) {
        violations.push({
          rule: 'shipment-for-cancelled-order',
          orderId,
          detail: `shipment ${dispatched.map((shipment) => shipment.shipment_id).join(', ')} dispatched`,
        });
      }
      if (row && row.status !== 'cancelled') {
        violations.push({ rule: 'order-row-disagrees', orderId, detail: `cancelled order, row says ${row.status}` });
      }
      const shippedReservations = reservationsOf(orderId).filter((reservation) => reservation.status === 'shipped');
      if (shippedReservations.length > 0) {
        violations.push({ rule: 'stock-shipped-for-cancelled-order', orderId, detail: 'a reservation was shipped' });
      }
    }
    if (status === 'completed') {
      const orderCharges = chargesOf(orderId);
      const total = catalogTotalCents(record.plan.request.items);
      if (row?.status !== 'confirmed') {
        violations.push({ rule: 'order-row-disagrees', orderId, detail: `completed order, row says ${row?.status}` });
      }
      if (orderCharges.length !== 1 || orderCharges[0]?.amount_cents !== total) {
        violations.push({
          rule: 'completed-order-not-charged-once',
          orderId,
          detail: `charges: ${JSON.stringify(orderCharges.map((charge) => charge.amount_cents))}, total ${total}`,
        });
      }
      if (dispatched.length !== 1 || shipmentsOf(orderId).length !== 1) {
        violations.push({
          rule: 'completed-order-not-shipped-once',
          orderId,
          detail: `shipments: ${JSON.stringify(shipmentsOf(orderId).map((shipment) => shipment.status))}`,
        });
      }
    }
  }

  // Nothing in any service belongs to an order the run did not place.
  const strangers = new Set(
    [...orderRows, ...charges, ...reservations, ...shipments]
      .map((row) => row.order_id)
      .filter((orderId) => !statusOf.has(orderId)),
  );
  for (const orderId of strangers) {
    violations.push({ rule: 'rows-of-unknown-order', orderId, detail: 'rows for an order the run never placed' });
  }
  return violations;
}
