/**
 * `shipment`: the shipping service's own workflow, one per shipment, on the `shipping` task queue. The order saga
 * only hands the request over; this workflow decides, on shipping's time, whether the shipment goes out, and then
 * completes (or fails) the order's waiting activity by its task token.
 *
 * While it decides, the shipping service heartbeats the order's waiting activity from its database (one loop per
 * process: activities/shipping/waiting-orders.ts). Shipments started before
 * {@link ShipmentPatch.OrdersKeptWaitingByService} ran a keep-alive activity of their own for that, and still do.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { ShipmentDispatched, ShippingActivities } from '../activities/shipping';

export interface ShipmentInput {
  shipmentId: string;
  /** The version its starter ran (shipment-version.ts); none in shipments started before there was one. */
  version?: number;
}

export type ShipmentOutcome =
  ({ status: 'dispatched' } & ShipmentDispatched) | { status: 'rejected'; shipmentId: string; reason: string };

/**
 * Changes to `shipment` that shipments already running must not see, each behind `patched()` (see `OrderPatch` in
 * `order.ts`).
 */
export const ShipmentPatch = {
  /** Heartbeat the order's waiting activity while the shipment is decided. */
  KeepOrderWaiting: 'keep-order-waiting',
  /**
   * No keep-alive activity: the service beats waiting orders itself, since an activity slot and two beats per
   * undecided shipment stalled a backlog of thousands.
   */
  OrdersKeptWaitingByService: 'orders-kept-waiting-by-service',
} as const;

const shipping = proxyActivities<ShippingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The keep-alive of shipments started before {@link ShipmentPatch.OrdersKeptWaitingByService}. It runs as long as the order may wait for one attempt (its 6 hours). Its heartbeat timeout is half the
 * order step's (30 s): a keep-alive lost with its worker is moved to a live one, and beats again, before the order's
 * attempt times out. Once cancelled it is waited for (it ends at its next beat at the latest), so that it never
 * reports to a closed workflow, which its worker would log as a warning.
 */
const keepAlive = proxyActivities<ShippingActivities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

async function decide(shipmentId: string): Promise<ShipmentOutcome> {
  const assessment = await shipping.assessShipment({ shipmentId });
  if (!assessment.deliverable) {
    await shipping.rejectShipment({ shipmentId, reason: assessment.reason });
    return { status: 'rejected', shipmentId, reason: assessment.reason };
  }
  return { status: 'dispatched', ...(await shipping.dispatchShipment({ shipmentId })) };
}

export async function shipment({ shipmentId, version = 0 }: ShipmentInput): Promise<ShipmentOutcome> {
  // Started at version 2 or later (a literal, not shipmentVersion: such a shipment takes this path for ever): the
  // patch applies, unasked, so no marker. But during a rolling deploy a shipping worker of the version before may
  // have run its first task and asked, leaving a marker; replaying, take it (patched() then sends no command when
  // the history has none).
  if (version >= 2) {
    if (workflowInfo().unsafe.isReplaying) patched(ShipmentPatch.OrdersKeptWaitingByService);
    return decide(shipmentId);
  }
  if (patched(ShipmentPatch.OrdersKeptWaitingByService)) return decide(shipmentId);
  if (!patched(ShipmentPatch.KeepOrderWaiting)) return decide(shipmentId);
  const keepingAlive = new CancellationScope();
  const beating = keepingAlive.run(() => keepAlive.keepOrderWaiting({ shipmentId }));
  try {
    return await decide(shipmentId);
  } finally {
    keepingAlive.cancel();
    await beating.catch((error: unknown) => {
      if (!isCancellation(error)) throw error;
    });
  }
}
