/** Starting a checkout and reading how it went, from any process with a Temporal client. */
import type { Client } from '@temporalio/client';
import { sagaHandle, startSaga } from 'temporal-saga/client';
import type { Order } from './activities';
import type { checkout, CheckoutStep } from './workflows';

export async function placeCheckout(client: Client, order: Order): Promise<string> {
  // The business key is the workflow id: a repeated start (a retry, a double click) finds the same saga.
  const workflowId = `checkout-${order.orderId}`;
  await startSaga<typeof checkout>(client, 'checkout', {
    workflowId,
    taskQueue: 'checkout',
    args: [order],
    summary: `Checkout ${order.orderId}`,
  });
  const saga = sagaHandle<typeof checkout, CheckoutStep>(client, workflowId);

  // Wait (at most 5 s) until the charge has gone through, or failed.
  const charged = await saga.waitForStep('charge', { timeoutMs: 5_000 });
  if (charged.outcome === 'failed') return `declined: ${charged.failure.message}`;

  // Or read the state at any time: status, each step, the compensation log.
  const { status, steps } = await saga.state();
  return `${status}: ${steps.map((step) => `${step.name} ${step.status}`).join(', ')}`;
}
