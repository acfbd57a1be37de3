/**
 * `shipment`: the shipping service's own workflow, one per shipment, on the `shipping` task queue. The order saga
 * only hands the request over; this workflow decides, on shipping's time, whether the shipment goes out, and then
 * completes (or fails) the order's waiting activity by its task token.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ShipmentDispatched, ShippingActivities } from '../activities/shipping';

export interface ShipmentInput {
  shipmentId: string;
}

export type ShipmentOutcome =
  ({ status: 'dispatched' } & ShipmentDispatched) | { status: 'rejected'; shipmentId: string; reason: string };

const shipping = proxyActivities<ShippingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function shipment({ shipmentId }: ShipmentInput): Promise<ShipmentOutcome> {
  const assessment = await shipping.assessShipment({ shipmentId });
  if (!assessment.deliverable) {
    await shipping.rejectShipment({ shipmentId, reason: assessment.reason });
    return { status: 'rejected', shipmentId, reason: assessment.reason };
  }
  return { status: 'dispatched', ...(await shipping.dispatchShipment({ shipmentId })) };
}
