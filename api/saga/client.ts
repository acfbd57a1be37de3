/**
 * The framework's client side: typed helpers to start a saga, read its state, cancel it and resolve an escalated
 * compensation. Refusals come back as results, not exceptions: a cancellation after the pivot is an answer.
 */
import type { Client, Workflow, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { CompensationResolution, SagaState } from '../../workflows/saga';
import {
  cancelSagaUpdate,
  resolveCompensationUpdate,
  SagaFailureType,
  SagaStatus,
  SagaStatusKey,
  sagaStateQuery,
} from '../../workflows/saga';

export interface StartSagaOptions<W extends Workflow> {
  /** The saga's business key, e.g. `order-<orderId>`: one key, one saga. */
  workflowId: string;
  taskQueue: string;
  args: Parameters<W>;
  /** One line shown for the saga in the Web UI (markdown). @default none */
  summary?: string;
  /** Longer description shown in the Web UI's metadata (markdown, tables allowed). @default none */
  details?: string;
  /** The domain's own search attributes, e.g. `CustomerId`. `SagaStatus` is set for you. @default none */
  searchAttributes?: SearchAttributePair[];
}

/**
 * Starts a saga, or returns the one already started under the same business key, running or ended: a duplicate
 * start (a client retry, a double click) never runs the saga twice.
 */
export async function startSaga<W extends Workflow>(
  client: Client,
  /** The workflow function, or its type name when the client does not import the workflow code. */
  workflow: W | string,
  options: StartSagaOptions<W>,
): Promise<WorkflowHandle<W>> {
  const { workflowId, taskQueue, args, summary, details, searchAttributes = [] } = options;
  try {
    // The cast only re-attaches `args` to the generic W, which TypeScript cannot resolve through the SDK's
    // conditional type; the caller's `args: Parameters<W>` is already checked.
    const startOptions = {
      workflowId,
      taskQueue,
      args,
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: SagaStatusKey, value: SagaStatus.Running }, ...searchAttributes],
      ...(summary ? { staticSummary: summary } : {}),
      ...(details ? { staticDetails: details } : {}),
    } as unknown as WorkflowStartOptions<W>;
    return await client.workflow.start(workflow, startOptions);
  } catch (error) {
    // REJECT_DUPLICATE: the saga ran before and has ended; it is still the answer.
    if ((error as Error).name === 'WorkflowExecutionAlreadyStartedError') {
      return client.workflow.getHandle<W>(workflowId);
    }
    throw error;
  }
}

/** The saga's state, from its `sagaState` query. Throws `WorkflowNotFoundError` for an unknown id. */
export function getSagaState(client: Client, workflowId: string): Promise<SagaState> {
  return client.workflow.getHandle(workflowId).query(sagaStateQuery);
}

export type CancelOutcome = { accepted: true; status: string } | { accepted: false; reason: string };

/** Asks the saga to cancel: accepted before its pivot (it then compensates), refused with the reason after. */
export async function cancelSaga(client: Client, workflowId: string, reason: string): Promise<CancelOutcome> {
  try {
    const result = await client.workflow.getHandle(workflowId).executeUpdate(cancelSagaUpdate, { args: [{ reason }] });
    return { accepted: true, status: result.status };
  } catch (error) {
    const refusal = refusalOf(error, SagaFailureType.CancelRejected);
    if (refusal !== undefined) return { accepted: false, reason: refusal };
    throw error;
  }
}

export type ResolveOutcome =
  { accepted: true; resolution: CompensationResolution } | { accepted: false; reason: string };

/** Resolves an escalated compensation (retry, skip or abort); refused when none of that step is waiting. */
export async function resolveCompensation(
  client: Client,
  workflowId: string,
  resolution: CompensationResolution,
): Promise<ResolveOutcome> {
  try {
    const accepted = await client.workflow
      .getHandle(workflowId)
      .executeUpdate(resolveCompensationUpdate, { args: [resolution] });
    return { accepted: true, resolution: accepted };
  } catch (error) {
    const refusal = refusalOf(error, SagaFailureType.ResolutionRejected);
    if (refusal !== undefined) return { accepted: false, reason: refusal };
    throw error;
  }
}

/** The reason of an Update refused by the saga's validator, or `undefined` for any other error. */
function refusalOf(error: unknown, type: SagaFailureType): string | undefined {
  const failure = error as { name?: string; cause?: { type?: string; message?: string } };
  if (failure.name === 'WorkflowUpdateFailedError' && failure.cause?.type === type) return failure.cause.message;
  return undefined;
}
