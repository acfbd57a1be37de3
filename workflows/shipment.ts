/**
 * `shipment`: the shipping service's own workflow, one per shipment, on the `shipping` task queue. The order saga
 * only hands the request over; this workflow decides, on shipping's time, whether the shipment goes out, and then
 * completes (or fails) the order's waiting activity by its task token.
 *
 * While it decides, a keep-alive activity heartbeats the order's activity, whose heartbeat timeout is how the order
 * notices a request that shipping lost: the keep-alive beats only while a shipment workflow runs on a live worker.
 * It is one long-running activity, not a timer and an activity per beat, so the history stays a few events long.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
} from '@temporalio/workflow';
import type { ShipmentDispatched, ShippingActivities } from '../activities/shipping';

export interface ShipmentInput {
  shipmentId: string;
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
} as const;

const shipping = proxyActivities<ShippingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * The keep-alive runs as long as the order may wait for one attempt (its 6 hours). Its heartbeat timeout is half the
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

export async function shipment({ shipmentId }: ShipmentInput): Promise<ShipmentOutcome> {
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
