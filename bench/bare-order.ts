/**
 * The throughput benchmark's ceiling: what an order runs, with no saga engine, no services and no storage. An
 * order is a workflow of eight activities whose fifth (`requestShipment`) starts a second workflow and completes
 * asynchronously, by its task token, when that workflow's last of two activities says so; every activity here
 * does nothing.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface BareActivities {
  noop(): Promise<void>;
  /** Starts `bareShipment` with this attempt's task token, and leaves the activity open. */
  requestShipment(): Promise<void>;
  /** Completes the order's `requestShipment` by its task token. */
  completeRequest(taskToken: string): Promise<void>;
}

const activities = proxyActivities<BareActivities>({ startToCloseTimeout: '1 minute' });

/**
 * Activities before and after the order's asynchronous one, and in its shipment: 4 + 1 + 3 and 2 (assess,
 * dispatch), as an order.
 */
export const bareOrderShape = { before: 4, after: 3, inShipment: 2 } as const;

export async function bareOrder(): Promise<void> {
  for (let index = 0; index < bareOrderShape.before; index++) await activities.noop();
  await activities.requestShipment();
  for (let index = 0; index < bareOrderShape.after; index++) await activities.noop();
}

export async function bareShipment(taskToken: string): Promise<void> {
  for (let index = 1; index < bareOrderShape.inShipment; index++) await activities.noop();
  await activities.completeRequest(taskToken);
}
