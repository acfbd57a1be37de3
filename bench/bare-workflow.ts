/**
 * The throughput benchmark's ceiling: a bare workflow (no saga engine, no services, no storage) that runs as many
 * no-op activities, one after the other, as an order saga runs.
 */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

export async function bareWorkflow(activities: number): Promise<void> {
  for (let index = 0; index < activities; index++) await noop();
}
