/**
 * How the shipping service keeps orders waiting for its decisions, from its own database, with one loop per process
 * instead of an activity per shipment: so a backlog of thousands of shipments costs a few heartbeats a second, not
 * thousands of activity slots and beats.
 *
 * An order's `requestShipment` step stays open until its shipment is decided, and has a heartbeat timeout (two
 * minutes, `shipmentDecision` in workflows/order.ts) that catches a request lost before shipping recorded it. Every
 * second, {@link keepOrdersWaiting}:
 * - hands over again a request recorded but never handed over (its worker died between recording it and starting
 *   its `shipment` workflow): the request is answered within seconds, with no retry of the order's step;
 * - heartbeats, by its stored token, the step of each order whose shipment was handed over and is undecided, every
 *   {@link WaitingOrdersOptions.beatIntervalMs}, at most {@link WaitingOrdersOptions.maxBeatsPerSecond} a second.
 *
 * Rows are claimed by writing their beat time, so several shipping processes on one database share the beats
 * rather than repeat them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { ShipmentInput } from '../../workflows/shipment';
import { shipmentVersion } from '../../workflows/shipment-version';
import { timestamp } from '../storage/idempotency';
import type { ShippingSchema } from './schema';
import { noTaskToken, ShipmentStatus } from './schema';

export interface WaitingOrdersOptions {
  /**
   * How often each waiting order's step is heartbeaten: a third of its two-minute heartbeat timeout, so a beat or two
   * missed (the server busy, the process restarting) never times a live request out. @default 40 seconds
   */
  beatIntervalMs?: number;
  /**
   * The most beats one process sends a second: each is a write on the Temporal server. 100 keep 12,000 orders
   * waiting within the heartbeat timeout; past that, the oldest are beaten first, and an order missed times out and
   * retries its step, which shipping answers from the row (more shipping processes on one database share the
   * beats). @default 100
   */
  maxBeatsPerSecond?: number;
  /**
   * A request recorded this long ago and still not handed over was lost with its worker, and is handed over again.
   * A hand-over in flight meanwhile is harmless: both start the same shipment workflow. @default 10 seconds
   */
  handOverAfterMs?: number;
}

export interface WaitingOrdersDeps extends WaitingOrdersOptions {
  db: Kysely<ShippingSchema>;
  client: Client;
  /** Where the shipment workflows run. */
  taskQueue: string;
}

/** How often the loop looks for work; a beat's timing needs no finer grain. */
const tickMs = 1_000;

/** Heartbeats an order's waiting step by its token; a token whose attempt has ended is skipped. */
export async function beatOrderStep(client: Client, taskToken: string): Promise<void> {
  try {
    await client.activity.heartbeat(Buffer.from(taskToken, 'base64'));
  } catch (error) {
    // That attempt was settled, or timed out and is being retried: its retry stores its own token.
    if ((error as Error).name !== 'ActivityNotFoundError') throw error;
  }
}

/** The id of a shipment's `shipment` workflow. */
export function shipmentWorkflowId(shipmentId: string): string {
  return `shipment-${shipmentId}`;
}

/**
 * Starts the shipment's `shipment` workflow, or finds it running, and records the hand-over. Also what a retried
 * `requestShipment` does, so a request is handed over however often it is asked.
 */
export async function handOver(
  { db, client, taskQueue }: Pick<WaitingOrdersDeps, 'db' | 'client' | 'taskQueue'>,
  shipmentId: string,
): Promise<void> {
  await client.workflow.start('shipment', {
    taskQueue,
    workflowId: shipmentWorkflowId(shipmentId),
    args: [{ shipmentId, version: shipmentVersion } satisfies ShipmentInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  await db
    .updateTable('shipments')
    .set({ handed_over_at: timestamp() })
    .where('shipment_id', '=', shipmentId)
    .where('handed_over_at', 'is', null)
    .execute();
}

/** Hands over again the requests whose worker died before it handed them over. */
async function handOverStranded(deps: WaitingOrdersDeps, handOverAfterMs: number): Promise<void> {
  const stranded = await deps.db
    .selectFrom('shipments')
    .select('shipment_id')
    .where('status', '=', ShipmentStatus.Requested)
    .where('handed_over_at', 'is', null)
    .where('created_at', '<', new Date(Date.now() - handOverAfterMs).toISOString())
    .limit(100)
    .execute();
  for (const { shipment_id } of stranded) await handOver(deps, shipment_id);
}

/**
 * Claims the waiting orders due a beat, oldest beat first, and heartbeats their steps. Reads first, so that a round
 * with nothing due (the usual case) takes no write lock; the claim re-checks that each row is still due, so a row
 * that another process claimed meanwhile is not beaten twice.
 */
async function beatDueOrders(deps: WaitingOrdersDeps, beatIntervalMs: number, maxBeats: number): Promise<void> {
  const due = new Date(Date.now() - beatIntervalMs).toISOString();
  const lastBeat = sql<string>`coalesce(beaten_at, handed_over_at)`;
  const dueRows = await deps.db
    .selectFrom('shipments')
    .select('shipment_id')
    .where('status', '=', ShipmentStatus.Requested)
    .where('handed_over_at', 'is not', null)
    // A request that came through Nexus has no step waiting on a token: its operation waits on the workflow.
    .where('task_token', '!=', noTaskToken)
    .where(lastBeat, '<', due)
    .orderBy(lastBeat)
    .limit(maxBeats)
    .execute();
  if (dueRows.length === 0) return;
  const claimed = await deps.db
    .updateTable('shipments')
    .set({ beaten_at: timestamp() })
    .where(
      'shipment_id',
      'in',
      dueRows.map((row) => row.shipment_id),
    )
    .where('status', '=', ShipmentStatus.Requested)
    .where(lastBeat, '<', due)
    .returning('task_token')
    .execute();
  const beats = await Promise.allSettled(claimed.map((row) => beatOrderStep(deps.client, row.task_token)));
  const failed = beats.filter((beat) => beat.status === 'rejected');
  // Each is beaten again at its next interval, well within the step's heartbeat timeout.
  if (failed.length > 0) {
    throw new Error(`${failed.length} of ${beats.length} beats failed, the first with: ${String(failed[0]!.reason)}`);
  }
}

/**
 * Runs until `stopping` aborts: every second, hands over stranded requests and beats the due waiting orders. A
 * failed round (the database or the Temporal server unreachable) is logged and the next one tries again.
 */
export async function keepOrdersWaiting(deps: WaitingOrdersDeps, stopping: AbortSignal): Promise<void> {
  const { beatIntervalMs = 40_000, maxBeatsPerSecond = 100, handOverAfterMs = 10_000 } = deps;
  while (!stopping.aborted) {
    try {
      await handOverStranded(deps, handOverAfterMs);
      await beatDueOrders(deps, beatIntervalMs, Math.ceil((maxBeatsPerSecond * tickMs) / 1000));
    } catch (error) {
      if (!stopping.aborted) console.warn(`shipping: keeping orders waiting failed this round: ${String(error)}`);
    }
    await sleep(tickMs, undefined, { signal: stopping }).catch(() => undefined);
  }
}
