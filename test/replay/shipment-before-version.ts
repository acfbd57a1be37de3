/**
 * The `shipment` workflow as a shipping worker of the version before ran it (commit 8fbd9b2): it ignores the
 * version in its input and asks `patched()`. During a rolling deploy such a worker can run the first task of a
 * shipment a newer worker started; test/shipment-versions.test.ts replays what it leaves with the current code.
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { ShippingActivities } from '../../activities/shipping';
import type { ShipmentInput } from '../../workflows/shipment';
import { ShipmentPatch } from '../../workflows/shipment';

const shipping = proxyActivities<ShippingActivities>({ startToCloseTimeout: '30 seconds' });

export async function shipment({ shipmentId }: ShipmentInput): Promise<string> {
  if (!patched(ShipmentPatch.OrdersKeptWaitingByService)) throw new Error('the older worker always took the patch');
  await shipping.assessShipment({ shipmentId });
  await shipping.dispatchShipment({ shipmentId });
  return 'dispatched';
}
