/**
 * The end of the chaos run: wait, within a bound, until Temporal has closed every order's saga; describe those it
 * has not (the evidence a person needs: the order's status, its running steps, the activities Temporal still
 * tries and their last failure); then read every order's final state through the API, as the operator.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { orderWorkflowId } from '../../api/orders/trigger';
import type { SagaState } from '../../workflows/saga';
import { request } from '../http';
import { testOperatorToken } from '../tokens';
import type { FinalOrder } from './invariants';
import type { OrderRecord } from './traffic';

/** Runs `fn` over `items`, `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

async function executionStatus(client: Client, orderId: string): Promise<string | undefined> {
  try {
    const description = await client.connection.withDeadline(Date.now() + 5000, () =>
      client.workflow.getHandle(orderWorkflowId(orderId)).describe(),
    );
    return description.status.name;
  } catch {
    return undefined;
  }
}

/**
 * Waits until every order's workflow execution is closed, or `timeoutMs` passes. Returns each closed one's status
 * (`COMPLETED`, `FAILED`, …) and the ids still open.
 */
export async function waitUntilClosed(
  client: Client,
  orderIds: readonly string[],
  timeoutMs: number,
): Promise<{ closed: Map<string, string>; open: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const closed = new Map<string, string>();
  for (;;) {
    const open = orderIds.filter((orderId) => !closed.has(orderId));
    const statuses = await mapLimit(open, 16, (orderId) => executionStatus(client, orderId));
    open.forEach((orderId, index) => {
      const status = statuses[index];
      if (status && status !== 'RUNNING') closed.set(orderId, status);
    });
    const stillOpen = open.filter((orderId) => !closed.has(orderId));
    if (stillOpen.length === 0 || Date.now() > deadline) return { closed, open: stillOpen };
    await delay(2000);
  }
}

/** One stuck order, in a few lines: what the API says, what the saga waits on, what Temporal keeps trying. */
export async function describeStuck(client: Client, apiUrl: string, record: OrderRecord): Promise<string> {
  const orderId = record.orderId ?? '';
  const lines = [
    `order ${orderId} (#${record.plan.index}, ${record.plan.kind}, cancel ${record.cancel?.kind ?? 'none'})`,
  ];
  const view = await request(`${apiUrl}/orders/${orderId}`, { token: testOperatorToken }).catch((error: Error) => ({
    status: 0,
    body: error.message,
  }));
  if (view.status === 200) {
    const { status, saga } = view.body as { status: string; saga: SagaState };
    const unfinished = (saga.steps ?? []).filter((step) => step.status !== 'succeeded' && step.status !== 'pending');
    lines.push(
      `  API: ${status}; saga ${saga.status}, current step ${saga.currentStep ?? '-'}; ` +
        (unfinished.map((step) => `${step.name} ${step.status} (${step.attempts} runs)`).join(', ') ||
          'no step running'),
    );
  } else {
    lines.push(`  API: ${view.status} ${JSON.stringify(view.body)}`);
  }
  try {
    const { raw } = await client.workflow.getHandle(orderWorkflowId(orderId)).describe();
    for (const activity of raw.pendingActivities ?? []) {
      lines.push(
        `  Temporal: ${activity.activityType?.name} pending, attempt ${activity.attempt}` +
          (activity.lastFailure?.message ? `, last failure: ${activity.lastFailure.message}` : ''),
      );
    }
    if (!raw.pendingActivities?.length) lines.push('  Temporal: no activity pending');
  } catch (error) {
    lines.push(`  Temporal: ${(error as Error).message}`);
  }
  lines.push(`  history: temporal workflow show -w ${orderWorkflowId(orderId)}`);
  return lines.join('\n');
}

/**
 * Every order's final state through the API: a finished order reads from its saga's memo; one still running may
 * read stale, with no step table, when its worker is too busy to answer.
 */
export async function readFinalOrders(
  apiUrl: string,
  records: readonly OrderRecord[],
  executions: (orderId: string) => string,
): Promise<FinalOrder[]> {
  const placed = records.filter((record): record is OrderRecord & { orderId: string } => !!record.orderId);
  return mapLimit(placed, 8, async (record) => {
    for (let attempt = 1; ; attempt++) {
      const response = await request(`${apiUrl}/orders/${record.orderId}`, { token: testOperatorToken }).catch(
        () => undefined,
      );
      if (response?.status === 200) {
        const { status, saga } = response.body as { status: string; saga: SagaState };
        const steps = saga.steps ?? [];
        return {
          record,
          orderId: record.orderId,
          status,
          saga: { ...saga, steps },
          execution: executions(record.orderId),
        };
      }
      if (attempt >= 10) {
        throw new Error(
          `GET /orders/${record.orderId} answered ${response?.status}: ${JSON.stringify(response?.body)}`,
        );
      }
      await delay(500);
    }
  });
}
