/**
 * The test payments service's Nexus handler (nexus-contract.ts), recording every call with the saga step that made
 * it, so that a test can tell what was done and undone, in which order.
 */
import { ApplicationFailure } from '@temporalio/common';
import { startWorkflow, WorkflowRunOperationHandler } from '@temporalio/nexus';
import * as nexus from 'nexus-rpc';
import { sagaStepOf } from '../../workers/saga';
import type { HoldBehaviour } from './nexus-contract';
import { testPayments } from './nexus-contract';
import type { heldFunds } from './workflows';

export interface RecordedCall {
  operation: string;
  /** The calling saga step, from the operation's headers. */
  step: ReturnType<typeof sagaStepOf>;
  at: number;
}

const declined = () =>
  ApplicationFailure.create({ type: 'PaymentDeclined', message: 'The card was declined.', nonRetryable: true });

/** The handler, and the calls it has served. */
export function createTestPaymentsHandler() {
  const calls: RecordedCall[] = [];
  const record = (context: nexus.OperationContext) => {
    const step = sagaStepOf(context);
    calls.push({ operation: context.operation, step, at: Date.now() });
    return step;
  };
  const handler = nexus.serviceHandler(testPayments, {
    charge: async (context, { behaviour }) => {
      record(context);
      if (behaviour === 'declineByHandlerError') throw declined();
      if (behaviour === 'declineByOperationError') {
        throw new nexus.OperationError('failed', 'The charge failed.', { cause: declined() });
      }
      if (behaviour === 'hang') await new Promise((resolve) => setTimeout(resolve, 5000));
      return 'charged';
    },
    refund: async (context) => {
      record(context);
      return 'refunded';
    },
    hold: new WorkflowRunOperationHandler<{ behaviour: HoldBehaviour }, string>(async (context, { behaviour }) => {
      const step = record(context);
      if (behaviour === 'slowStartUntilCancelled') await new Promise((resolve) => setTimeout(resolve, 1000));
      // The hold's workflow is named after the step's idempotency key.
      return startWorkflow<typeof heldFunds>(context, 'heldFunds', {
        workflowId: step?.idempotencyKey ?? `hold-${context.requestId}`,
        args: [behaviour],
      });
    }),
    release: async (context, { behaviour }) => {
      record(context);
      if (behaviour === 'unavailable') {
        throw ApplicationFailure.retryable('The payment provider did not answer.', 'PaymentProviderUnavailable');
      }
      return 'released';
    },
  });
  return { handler, calls };
}
