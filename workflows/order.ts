/**
 * `placeOrder`: the order saga. It runs on the `orders` task queue and reaches each service only through that
 * service's own task queue, so a slow or dead service delays its own step (retried until it is back) and never
 * holds a caller's thread. In the Nexus wiring (`nexusEndpoints`), inventory, payments and shipping run in namespaces
 * of their own, and the saga reaches them through their Nexus endpoints instead, with the same steps.
 *
 * reserve stock → create order → screen payment → charge payment → request shipment (the pivot) → confirm order ‖
 * commit stock → notify customer
 *
 * The client names SKUs and quantities; the inventory prices them. Reserving the stock fixes each line's price, so
 * it comes first: the order is then recorded, screened and charged at the total it was reserved at. An order the
 * inventory cannot fill is never created. Undoing runs newest first as ever: cancel the order, then release the
 * stock; each tolerates "nothing to undo". Sagas started before {@link OrderPatch.CatalogPrices} create the order
 * first and charge the prices their client sent.
 *
 * Shipping is asynchronous: the shipping service takes the request at once and answers when its own `shipment`
 * workflow has dispatched (or rejected) it; until then the order is `awaiting_shipment`. Dispatch is the point of
 * no return: a failure before it undoes what was done (cancel, release, refund); after it, steps only go forward.
 * An undo that keeps failing (a refund the payment provider refuses) is not retried for ever: the order waits in
 * `needs_attention` for an operator ({@link OrderPatch.EscalateCompensations}).
 */
import { BusinessFailure, businessFailure } from '../activities/failures';
import type { InventoryActivities, Reservation, StockItem } from '../activities/inventory';
import { inventoryService } from '../activities/inventory/contract';
import type { Order, OrderItem, OrdersActivities } from '../activities/orders';
import type { Charge, PaymentsActivities } from '../activities/payments';
import { paymentsService } from '../activities/payments/contract';
import type { ShipmentDispatched, ShipmentRequest, ShippingActivities } from '../activities/shipping';
import { shippingService } from '../activities/shipping/contract';
import { ApplicationFailure, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SagaOptions, StepDefinition } from './saga';
import {
  CompensationFailurePolicy,
  escapeMarkdown,
  runSaga,
  sagaActivities,
  sagaNexusOperations,
  sagaStartVersionOf,
} from './saga';
import { OrderTotalKey } from './search-attributes';
import type { NexusEndpoints, TaskQueues } from './task-queues';
import { defaultTaskQueues } from './task-queues';

/** A line as the client orders it: an SKU and how many. The inventory prices it. */
export interface OrderedItem extends StockItem {
  /**
   * The client's price of one unit, in cents.
   * @deprecated The inventory prices every item: only sagas started before {@link OrderPatch.CatalogPrices} read it.
   */
  unitPriceCents?: number;
}

export interface PlaceOrderInput extends Omit<Order, 'items'> {
  items: OrderedItem[];
  /** Where the services poll, when a deployment renamed their task queues. @default {@link defaultTaskQueues} */
  taskQueues?: Partial<TaskQueues>;
  /**
   * The Nexus endpoints of the services another team runs in a namespace of its own (`SERVICE_WIRING=nexus`): each
   * named here is reached over Nexus, the others on their task queues. @default none
   */
  nexusEndpoints?: NexusEndpoints;
}

/** The order itself, without where its services are. */
type OrderFields = Omit<PlaceOrderInput, 'taskQueues' | 'nexusEndpoints'>;

export interface PlacedOrder {
  orderId: string;
  reservation: Reservation;
  charge: Charge;
  shipment: ShipmentDispatched;
}

export const OrderStep = {
  ReserveStock: 'reserveStock',
  CreateOrder: 'createOrder',
  ScreenPayment: 'screenPayment',
  ChargePayment: 'chargePayment',
  RequestShipment: 'requestShipment',
  ConfirmOrder: 'confirmOrder',
  CommitStock: 'commitStock',
  NotifyCustomer: 'notifyCustomer',
} as const;

/** Every service call: a short timeout, retried with backoff until the service answers. */
const serviceActivity = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;

/**
 * Shipping answers when the shipment is decided, not when the request is taken: allow it hours. While it decides,
 * the shipping service heartbeats the step every 40 s, and hands over again on its own a request its worker recorded
 * but died before handing over (activities/shipping/waiting-orders.ts). Two minutes without a beat means the request
 * was lost before shipping recorded it, and the step is retried. The timeout is not shorter so that beats stay few:
 * 10,000 waiting orders cost the server 100 a second (it was 30 s, with beats every 5 s from a keep-alive activity
 * per shipment, which stalled such a backlog). Retries back off to 5 s at most, not a minute, since one costs
 * shipping a few row reads. Changing the timeout needed no patch: replay does not compare activity options.
 */
const shipmentDecision = {
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { ...serviceActivity.retry, maximumInterval: '5 seconds' },
} as const;

/**
 * An undo that keeps failing asks a person instead of retrying for ever: each compensation is tried 6 times, then
 * the order waits in `needs_attention` until an operator retries, skips (undone by hand) or aborts it. A service
 * that is down takes no tries until it is back. 6 tries of a refund that fails at once take some 16 s of backoff;
 * of one blocked behind a frozen worker's transaction (each try timed out after 10 s), over a minute, long enough
 * for PostgreSQL to end that transaction (after 60 s idle) and let the undo through.
 */
const escalatingCompensations = {
  onCompensationFailure: CompensationFailurePolicy.Escalate,
  compensationRetry: { maximumAttempts: 6 },
} as const satisfies SagaOptions;

/**
 * Each service's calls: its activities on its task queue, or, for a service with a Nexus endpoint, its Nexus
 * operations of the same names and types (each service's contract.ts). Either way a call is retried until the
 * service answers (a Nexus operation for as long as the server allows). Shipping over Nexus answers with the
 * shipment's outcome, which a rejection turns into the activity's failure (`Undeliverable`).
 */
function services(taskQueues: TaskQueues, endpoints: NexusEndpoints) {
  const overActivities = {
    orders: sagaActivities<OrdersActivities>({ ...serviceActivity, taskQueue: taskQueues.orders }),
    inventory: sagaActivities<InventoryActivities>({ ...serviceActivity, taskQueue: taskQueues.inventory }),
    payments: sagaActivities<PaymentsActivities>({ ...serviceActivity, taskQueue: taskQueues.payments }),
    shipping: sagaActivities<ShippingActivities>({ ...serviceActivity, taskQueue: taskQueues.shipping }),
  };
  const shipping = endpoints.shipping && sagaNexusOperations(endpoints.shipping, shippingService);
  return {
    orders: overActivities.orders,
    inventory: endpoints.inventory
      ? sagaNexusOperations(endpoints.inventory, inventoryService)
      : overActivities.inventory,
    payments: endpoints.payments ? sagaNexusOperations(endpoints.payments, paymentsService) : overActivities.payments,
    shipping: shipping
      ? {
          requestShipment: async (request: ShipmentRequest): Promise<ShipmentDispatched> => {
            const outcome = await shipping.requestShipment(request);
            if (outcome.status === 'rejected') throw businessFailure(BusinessFailure.Undeliverable, outcome.reason);
            const { status: _dispatched, ...dispatched } = outcome;
            return dispatched;
          },
        }
      : overActivities.shipping,
  };
}

/** The total of items the client priced: how sagas started before {@link OrderPatch.CatalogPrices} charge. */
export function orderTotalCents(items: readonly OrderItem[]): number {
  return items.reduce((total, item) => total + item.quantity * item.unitPriceCents, 0);
}

/** Cents as the UI and summaries show them: `74.99`. */
export function formatMoney(cents: number): string {
  return (cents / 100).toFixed(2);
}

function describeItems(items: readonly StockItem[]): string {
  return items.map(({ sku, quantity }) => `${quantity} × ${escapeMarkdown(sku)}`).join(', ');
}

/**
 * Changes to `placeOrder` that sagas already running must not see, each behind `patched()`: a saga started before
 * the change replays (and goes on) without it, a saga started after runs with it. A saga that `startSaga` started
 * at version 3 or later ({@link sagaStartVersionOf}) was started after all of these: it runs with them without
 * asking, since each `patched()` call costs a marker and a `TemporalChangeVersion` upsert, a visibility update.
 */
export const OrderPatch = {
  /** Screen the payment for fraud before charging it. */
  FraudCheck: 'fraud-check',
  /**
   * The inventory prices the order: reserve the stock first, then record the order at the reserved total, and
   * charge that. Before it, the order was created first and charged at the prices its client sent.
   */
  CatalogPrices: 'catalog-prices',
  /**
   * A compensation that still fails after its bounded tries escalates to an operator. Before it, compensations
   * were retried until they succeeded.
   */
  EscalateCompensations: 'escalate-compensations',
} as const;

/** The steps in the order they run, as the saga's state lists them from the start. */
function stepsOf({ screensPayment, catalogPrices }: { screensPayment: boolean; catalogPrices: boolean }): string[] {
  return [
    ...(catalogPrices
      ? [OrderStep.ReserveStock, OrderStep.CreateOrder]
      : [OrderStep.CreateOrder, OrderStep.ReserveStock]),
    ...(screensPayment ? [OrderStep.ScreenPayment] : []),
    OrderStep.ChargePayment,
    OrderStep.RequestShipment,
    OrderStep.ConfirmOrder,
    OrderStep.CommitStock,
    OrderStep.NotifyCustomer,
  ];
}

/** The order as the orders service records it: each line at the price the inventory reserved it at. */
function pricedOrder(order: OrderFields, reservation: Reservation): Order {
  const priceOf = new Map(reservation.items.map((item) => [item.sku, item.unitPriceCents]));
  return {
    ...order,
    items: order.items.map(({ sku, quantity }) => ({ sku, quantity, unitPriceCents: priceOf.get(sku)! })),
  };
}

/**
 * What the order pays: the reservation's total. An inventory still on code from before catalog prices answers none
 * (a deploy that upgraded the orders worker first); the saga then stops, and releases the stock, rather than charge
 * an unpriced order.
 */
function reservedTotal(reservation: Reservation): number {
  if (typeof reservation.totalCents === 'number') return reservation.totalCents;
  throw ApplicationFailure.create({
    type: 'UnpricedReservation',
    message: 'The inventory reserved the stock without prices: it runs code older than this saga.',
    nonRetryable: true,
  });
}

/**
 * The order as a saga started before {@link OrderPatch.CatalogPrices} records it: as its client sent it, priced
 * (the API required a price on every item then).
 */
function clientPricedOrder(order: OrderFields): Order {
  return order as Order;
}

export function placeOrder({ taskQueues, nexusEndpoints = {}, ...order }: PlaceOrderInput): Promise<PlacedOrder> {
  const { orderId } = order;
  const { orders, inventory, payments, shipping } = services({ ...defaultTaskQueues, ...taskQueues }, nexusEndpoints);
  const startedAfterPatches = sagaStartVersionOf() >= 3;
  const screensPayment = startedAfterPatches || patched(OrderPatch.FraudCheck);
  const catalogPrices = startedAfterPatches || patched(OrderPatch.CatalogPrices);
  const escalates = startedAfterPatches || patched(OrderPatch.EscalateCompensations);
  const stock = order.items.map(({ sku, quantity }) => ({ sku, quantity }));

  const createOrder = (recorded: Order, totalCents: number): StepDefinition<{ orderId: string }> => ({
    summary: `Create order ${orderId}`,
    action: ({ idempotencyKey }) =>
      orders.createOrder({
        idempotencyKey,
        order: recorded,
        totalCents,
        sagaRunId: workflowInfo().firstExecutionRunId,
      }),
    compensate: ({ idempotencyKey, actionKey, reason }) =>
      orders.cancelOrder({
        idempotencyKey,
        orderKey: actionKey,
        orderId,
        reason: `${reason.type}: ${reason.message}`,
      }),
  });
  // Sagas that create the order first bind that step to their run; these bind their first step, the reservation.
  const reserveStock: StepDefinition<Reservation> = {
    summary: `Reserve ${describeItems(stock)}`,
    action: ({ idempotencyKey }) =>
      inventory.reserveStock({
        idempotencyKey,
        orderId,
        items: stock,
        ...(catalogPrices ? { sagaRunId: workflowInfo().firstExecutionRunId } : {}),
      }),
    compensate: ({ idempotencyKey, actionKey }) =>
      inventory.releaseStock({ idempotencyKey, reservationKey: actionKey }),
  };

  return runSaga(
    async (saga) => {
      let reservation: Reservation;
      let total: number;
      if (catalogPrices) {
        reservation = await saga.step(OrderStep.ReserveStock, reserveStock);
        total = reservedTotal(reservation);
        upsertSearchAttributes([{ key: OrderTotalKey, value: total }]);
        await saga.step(OrderStep.CreateOrder, createOrder(pricedOrder(order, reservation), total));
      } else {
        const recorded = clientPricedOrder(order);
        total = orderTotalCents(recorded.items);
        await saga.step(OrderStep.CreateOrder, createOrder(recorded, total));
        reservation = await saga.step(OrderStep.ReserveStock, reserveStock);
      }
      if (screensPayment) {
        await saga.step(OrderStep.ScreenPayment, {
          summary: `Screen the payment of ${formatMoney(total)}`,
          action: () =>
            payments.screenPayment({
              orderId,
              customerId: order.customerId,
              amountCents: total,
              paymentToken: order.paymentToken,
            }),
        });
      }
      const charge = await saga.step(OrderStep.ChargePayment, {
        summary: `Charge ${formatMoney(total)}`,
        action: ({ idempotencyKey }) =>
          payments.chargePayment({ idempotencyKey, orderId, amountCents: total, paymentToken: order.paymentToken }),
        compensate: ({ idempotencyKey, actionKey }) => payments.refundPayment({ idempotencyKey, chargeKey: actionKey }),
      });
      const shipment = await saga.step(OrderStep.RequestShipment, {
        pivot: true,
        summary: `Ship to ${escapeMarkdown(order.shippingAddress.city)}, ${escapeMarkdown(order.shippingAddress.country)}`,
        activityOptions: shipmentDecision,
        action: ({ idempotencyKey }) =>
          shipping.requestShipment({ idempotencyKey, orderId, address: order.shippingAddress, items: stock }),
      });
      const reservationKey = saga.idempotencyKeyOf(OrderStep.ReserveStock);
      await saga.parallel([
        {
          name: OrderStep.ConfirmOrder,
          summary: `Confirm order ${orderId}`,
          action: ({ idempotencyKey }) =>
            orders.confirmOrder({ idempotencyKey, orderId, shipmentId: shipment.shipmentId }),
        },
        {
          name: OrderStep.CommitStock,
          summary: `Commit ${describeItems(stock)}`,
          action: ({ idempotencyKey }) => inventory.commitStock({ idempotencyKey, reservationKey }),
        },
      ]);
      await saga.step(OrderStep.NotifyCustomer, {
        summary: `Notify ${escapeMarkdown(order.customerId)}`,
        action: ({ idempotencyKey }) =>
          orders.notifyCustomer({
            idempotencyKey,
            orderId,
            customerId: order.customerId,
            message: `Your order ${orderId} is on its way: tracking number ${shipment.trackingNumber}.`,
          }),
      });
      return { orderId, reservation, charge, shipment };
    },
    { steps: stepsOf({ screensPayment, catalogPrices }), ...(escalates ? escalatingCompensations : {}) },
  );
}
