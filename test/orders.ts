/** Placing orders over HTTP and waiting for their sagas, for the order system's tests. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { PlaceOrderRequest } from '../api/orders/schema';
import { orderWorkflowId } from '../api/orders/trigger';
import { SagaStepKey } from '../workflows/saga';
import { orderRequest } from './fixtures/orders';
import type { JsonResponse } from './http';
import { eventually, postJson, request } from './http';
import { customerToken, testOperatorToken } from './tokens';

export interface OrderView {
  orderId: string;
  status: string;
  saga: {
    status: string;
    steps: { name: string; status: string; attempts: number; compensation?: { status: string } }[];
    failure?: { type: string; message: string };
  };
}

/** An order as `GET /orders/:id` shows it, with the parts of its saga an escalation fills in. */
export type OrderWithEscalations = OrderView & {
  saga: {
    escalations: { step: string; kind: string; error: { type: string; message: string } }[];
    compensationLog: { step: string; event: string; resolution?: string }[];
  };
};

/**
 * POSTs an order as its customer (a token for the body's `customerId`) and returns its id; fails the test unless
 * the API answered 202.
 */
export async function placeOrder(apiUrl: string, overrides: Partial<PlaceOrderRequest> = {}): Promise<string> {
  const body = orderRequest(overrides);
  const response: JsonResponse = await postJson(`${apiUrl}/orders`, body, await customerToken(body.customerId));
  if (response.status !== 202)
    throw new Error(`POST /orders answered ${response.status}: ${JSON.stringify(response.body)}`);
  return (response.body as { orderId: string }).orderId;
}

/** GET /orders/:id, as the operator unless `token` says who. */
export async function readOrder(apiUrl: string, orderId: string, token = testOperatorToken): Promise<OrderView> {
  return (await request(`${apiUrl}/orders/${orderId}`, { token })).body as OrderView;
}

/** Polls GET /orders/:id until the order's status is one of `statuses`. */
export function orderReaches(
  apiUrl: string,
  orderId: string,
  statuses: readonly string[],
  timeoutMs = 30_000,
): Promise<OrderView> {
  let last: OrderView | undefined;
  return eventually(
    async () => {
      last = await readOrder(apiUrl, orderId);
      return statuses.includes(last.status) ? last : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  ).catch((error: unknown) => {
    throw new Error(`Order ${orderId} never became ${statuses.join(' or ')}; last seen: ${JSON.stringify(last)}`, {
      cause: error,
    });
  });
}

/**
 * The order sagas started since `since`, other than a valid sentinel order placed now: once visibility shows the
 * sentinel, it shows every start before it too. A test that sent only invalid requests expects none.
 */
export async function ordersStartedSince(system: { apiUrl: string; client: Client }, since: Date): Promise<string[]> {
  const sentinel = orderWorkflowId(await placeOrder(system.apiUrl));
  const started = await eventually(async () => {
    const ids: string[] = [];
    const query = `WorkflowType = 'placeOrder' AND StartTime >= '${since.toISOString()}'`;
    for await (const execution of system.client.workflow.list({ query })) ids.push(execution.workflowId);
    return ids.includes(sentinel) ? ids : undefined;
  });
  return started.filter((id) => id !== sentinel);
}

/**
 * Waits until a worker runs attempt `attempt` (or a later one) of the order's pending `activityType`, and a moment
 * more, so that the attempt is inside its own transaction (waiting on a lock a test holds, say).
 */
export async function orderActivityRunning(
  system: { client: Client },
  orderId: string,
  activityType: string,
  attempt = 1,
): Promise<void> {
  await eventually(
    async () => {
      const { raw } = await system.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
      const pending = raw.pendingActivities?.find((activity) => activity.activityType?.name === activityType);
      const started = pending?.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
      return started && (pending?.attempt ?? 0) >= attempt ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
}

/**
 * Waits until the order's saga has written `step` to its `SagaStep` search attribute: a saga started by
 * `startSaga` does so once it has run `publishStepAfter` (a minute), which takes a worker to run the timer's task.
 */
export async function orderStepPublished(system: { client: Client }, orderId: string, step: string): Promise<void> {
  await eventually(
    async () => {
      const { typedSearchAttributes } = await system.client.workflow.getHandle(orderWorkflowId(orderId)).describe();
      return typedSearchAttributes.get(SagaStepKey) === step ? true : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}
