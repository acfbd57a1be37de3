/**
 * The shipping service. `requestShipment` is the order saga's asynchronous step: it records the request with the
 * activity's task token, starts the service's own `shipment` workflow and returns at once without a result
 * (`CompleteAsyncError`). The order saga's step stays open, and the order reads `awaiting_shipment`, until the
 * shipment workflow decides: `dispatchShipment` completes the order's activity by its token, `rejectShipment`
 * fails it with `Undeliverable`. So the order is placed whether shipping is fast, slow or down.
 *
 * While the shipment is decided, the service heartbeats the order's step by its token, and hands over again a
 * request its worker recorded but died before handing over: one loop per process, from the database
 * (`keepOrdersWaiting`, waiting-orders.ts).
 *
 * In the Nexus wiring the request comes as a workflow-run operation instead (nexus-handler.ts): recorded without a
 * token, its shipment workflow's outcome is the operation's result, and nothing needs heartbeating.
 *
 * Addresses with postal code `00000` are accepted, then rejected by the shipment workflow (the undeliverable
 * path).
 */
import { randomUUID } from 'node:crypto';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { BusinessFailure, businessFailure } from '../failures';
import type { StockItem } from '../inventory';
import type { ShippingAddress } from '../orders';
import { runOnce, timestamp } from '../storage/idempotency';
import type { ShipmentsTable, ShippingSchema } from './schema';
import { noTaskToken, ShipmentStatus } from './schema';
import { beatOrderStep, handOver } from './waiting-orders';

export interface ShippingDeps {
  db: Kysely<ShippingSchema>;
  /** To start the shipment workflow and complete the order's activity by token. */
  client: Client;
  /** The shipping service's task queue, where its shipment workflows run. */
  taskQueue: string;
  /** How long dispatching takes: a slow courier hand-over, for benchmarks and demos. @default 0 */
  dispatchDelayMs?: number;
  /**
   * A pause after the request is recorded and before the shipment workflow starts: a window to kill the worker in,
   * for tests. Nothing heartbeats the order's step in it, so keep it under the step's heartbeat timeout. @default 0
   */
  handOverDelayMs?: number;
  /**
   * How many orders one worker keeps waiting at once with the deprecated `keepOrderWaiting`: it holds an activity
   * slot for as long as its shipment is undecided, so it must stay below the worker's activity slots. Past it, a
   * keep-alive is retried later. @default 50, half of the SDK's default slots
   */
  maxOrdersKeptWaiting?: number;
}

/** What the order's `requestShipment` step asks for: a shipment of `items` to `address`, once per step key. */
export interface ShipmentRequest {
  idempotencyKey: string;
  orderId: string;
  address: ShippingAddress;
  items: StockItem[];
}

/** What the order's `requestShipment` step resolves with, once the shipment is dispatched. */
export interface ShipmentDispatched {
  shipmentId: string;
  trackingNumber: string;
  dispatchedAt: string;
}

export type ShipmentAssessment = { deliverable: true } | { deliverable: false; reason: string };

/** The postal code that no courier serves: drives the undeliverable path. */
export const undeliverablePostalCode = '00000';

/**
 * How often the deprecated `keepOrderWaiting` heartbeats the order's step: six beats in the 30 s heartbeat timeout
 * of the steps it kept waiting, so that a slow beat or two never times a live request out.
 */
const orderBeatIntervalMs = 5_000;

/**
 * Waits for the keep-alive's next beat: resolves after {@link orderBeatIntervalMs}, or as soon as the `wake` handed
 * to `onWake` is called; rejects with the activity's cancellation (its workflow's, or the worker's shutdown). Leaves
 * no timer or listener behind, since a keep-alive may wait thousands of times.
 */
function nextBeat(cancellation: AbortSignal, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cancellation.aborted) return reject(cancellation.reason as Error);
    const cancel = () => {
      clearTimeout(timer);
      reject(cancellation.reason as Error);
    };
    const wake = () => {
      clearTimeout(timer);
      cancellation.removeEventListener('abort', cancel);
      resolve();
    };
    const timer = setTimeout(wake, orderBeatIntervalMs);
    cancellation.addEventListener('abort', cancel, { once: true });
    onWake(wake);
  });
}

function dispatched(row: Pick<ShipmentsTable, 'shipment_id' | 'tracking_number' | 'updated_at'>): ShipmentDispatched {
  return { shipmentId: row.shipment_id, trackingNumber: row.tracking_number ?? '', dispatchedAt: row.updated_at };
}

/** The shipping service's calls: its activities, and what its Nexus handler (nexus-handler.ts) records. */
export function createShipping({
  db,
  client,
  taskQueue,
  dispatchDelayMs = 0,
  handOverDelayMs = 0,
  maxOrdersKeptWaiting = 50,
}: ShippingDeps) {
  const shipmentRow = (shipmentId: string) =>
    db.selectFrom('shipments').selectAll().where('shipment_id', '=', shipmentId).executeTakeFirstOrThrow();

  /**
   * The keep-alives running in this process, by shipment: a decision taken here wakes its shipment's keep-alive,
   * which ends at once instead of at its next beat, so that it holds neither its activity slot nor a worker's
   * shutdown.
   */
  const keepAlives = new Map<string, { wake: () => void }>();

  /**
   * Settles the order's open activity, then ends the shipment's keep-alive if it runs here; an attempt that already
   * ended (timed out, retried) is not an error.
   */
  async function settleOrderActivity(
    row: Pick<ShipmentsTable, 'shipment_id' | 'task_token'>,
    outcome: { result: ShipmentDispatched } | { error: Error },
  ) {
    if (row.task_token === noTaskToken) return;
    const token = Buffer.from(row.task_token, 'base64');
    try {
      if ('result' in outcome) await client.activity.complete(token, outcome.result);
      else await client.activity.fail(token, outcome.error);
    } catch (error) {
      // The attempt is gone; its retry reads the decided shipment and answers from it.
      if ((error as Error).name !== 'ActivityNotFoundError') throw error;
    }
    keepAlives.get(row.shipment_id)?.wake();
  }

  /**
   * Records the request once per step key, and answers its shipment's id. `taskToken`: the order's activity waiting
   * for the decision, none for a request that came through Nexus (nexus-handler.ts), which the shipment workflow's
   * result answers. A Nexus request counts as handed over from the start: its operation, retried by the server until
   * the workflow has started, hands it over.
   */
  async function recordRequest(
    input: ShipmentRequest,
    { taskToken, handedOver }: { taskToken: string; handedOver: boolean },
  ) {
    const { shipmentId } = await runOnce(db, { key: input.idempotencyKey, args: input }, async (trx) => {
      const now = timestamp();
      const id = randomUUID();
      await trx
        .insertInto('shipments')
        .values({
          shipment_id: id,
          order_id: input.orderId,
          step_key: input.idempotencyKey,
          status: ShipmentStatus.Requested,
          address: JSON.stringify(input.address),
          items: JSON.stringify(input.items),
          task_token: taskToken,
          tracking_number: null,
          rejection_reason: null,
          created_at: now,
          updated_at: now,
          ...(handedOver ? { handed_over_at: now } : {}),
        })
        .execute();
      return { shipmentId: id };
    });
    return shipmentId;
  }

  const activities = {
    async requestShipment(input: ShipmentRequest): Promise<ShipmentDispatched> {
      const taskToken = Buffer.from(Context.current().info.taskToken).toString('base64');
      const shipmentId = await recordRequest(input, { taskToken, handedOver: false });

      // A retried attempt has a new token: the shipment must settle this one. The token is replaced only while the
      // shipment still waits; the row is read after that write, so a decision that came first (and settled the old
      // token) is answered here, and one that comes later reads the new token.
      await db
        .updateTable('shipments')
        .set({ task_token: taskToken })
        .where('shipment_id', '=', shipmentId)
        .where('status', '=', ShipmentStatus.Requested)
        .execute();
      const row = await shipmentRow(shipmentId);
      if (row.status === ShipmentStatus.Dispatched) return dispatched(row);
      if (row.status === ShipmentStatus.Rejected) {
        throw businessFailure(BusinessFailure.Undeliverable, row.rejection_reason ?? 'The shipment was rejected.');
      }
      if (handOverDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, handOverDelayMs));
      await handOver({ db, client, taskQueue }, shipmentId);
      throw new CompleteAsyncError();
    },

    /**
     * @deprecated Only shipment workflows started before `ShipmentPatch.OrdersKeptWaitingByService` run it (and
     * their retries need it registered); delete it once none of those runs. The shipment workflow's keep-alive:
     * heartbeats itself and, by its token, the order's waiting step, every few seconds while the shipment is
     * undecided. The token is read afresh on every beat, since a retried step stores a
     * new one. Ends once the shipment is decided: at once when the decision is taken in this process, else at the
     * next beat, or when the shipment workflow cancels it.
     */
    async keepOrderWaiting({ shipmentId }: { shipmentId: string }): Promise<void> {
      if (keepAlives.size >= maxOrdersKeptWaiting) {
        throw ApplicationFailure.create({
          type: 'KeepAliveCapacity',
          message: `This worker keeps ${keepAlives.size} orders waiting already; tried again once one is decided.`,
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      const context = Context.current();
      const keepAlive = { wake: () => {} };
      keepAlives.set(shipmentId, keepAlive);
      try {
        for (;;) {
          const row = await shipmentRow(shipmentId);
          if (row.status !== ShipmentStatus.Requested) return;
          context.heartbeat();
          await beatOrderStep(client, row.task_token);
          await nextBeat(context.cancellationSignal, (wake) => (keepAlive.wake = wake));
        }
      } finally {
        // A later attempt of this keep-alive, in this process, may have registered itself meanwhile.
        if (keepAlives.get(shipmentId) === keepAlive) keepAlives.delete(shipmentId);
      }
    },

    /** Whether a courier serves the address. */
    async assessShipment({ shipmentId }: { shipmentId: string }): Promise<ShipmentAssessment> {
      const address = JSON.parse((await shipmentRow(shipmentId)).address) as ShippingAddress;
      if (address.postalCode === undeliverablePostalCode) {
        return { deliverable: false, reason: 'No courier delivers to this address.' };
      }
      return { deliverable: true };
    },

    /** Hands the shipment to the courier and completes the order's activity: the order's point of no return. */
    async dispatchShipment({ shipmentId }: { shipmentId: string }): Promise<ShipmentDispatched> {
      if (dispatchDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, dispatchDelayMs));
      await runOnce(db, { key: `dispatch/${shipmentId}`, args: { shipmentId } }, async (trx) => {
        await trx
          .updateTable('shipments')
          .set({
            status: ShipmentStatus.Dispatched,
            tracking_number: `TRK-${randomUUID().slice(0, 8).toUpperCase()}`,
            updated_at: timestamp(),
          })
          .where('shipment_id', '=', shipmentId)
          .where('status', '=', ShipmentStatus.Requested)
          .execute();
        return null;
      });
      const row = await shipmentRow(shipmentId);
      const result = dispatched(row);
      await settleOrderActivity(row, { result });
      return result;
    },

    /** Refuses the shipment and fails the order's activity with `Undeliverable`, so that the order compensates. */
    async rejectShipment({ shipmentId, reason }: { shipmentId: string; reason: string }): Promise<void> {
      await runOnce(db, { key: `reject/${shipmentId}`, args: { shipmentId, reason } }, async (trx) => {
        await trx
          .updateTable('shipments')
          .set({ status: ShipmentStatus.Rejected, rejection_reason: reason, updated_at: timestamp() })
          .where('shipment_id', '=', shipmentId)
          .where('status', '=', ShipmentStatus.Requested)
          .execute();
        return null;
      });
      const row = await shipmentRow(shipmentId);
      await settleOrderActivity(row, { error: businessFailure(BusinessFailure.Undeliverable, reason) });
    },
  };
  return {
    activities,
    /** Records a request that came through Nexus: its shipment's id, for the operation to start its workflow. */
    recordNexusRequest: (input: ShipmentRequest) => recordRequest(input, { taskToken: noTaskToken, handedOver: true }),
  };
}

/** The shipping service's activities. */
export function createShippingActivities(deps: ShippingDeps) {
  return createShipping(deps).activities;
}

export type ShippingActivities = ReturnType<typeof createShippingActivities>;
