/**
 * One saga, by its workflow id, with everything a client does to it: read its state, wait for one of its steps,
 * cancel it, resolve an escalation, read its history and wait for its result. The same answers as the functions
 * in `./client`, without passing `(client, workflowId)` to each.
 *
 * ```ts
 * const trip = sagaHandle<typeof bookTrip, TripStep>(client, 'trip-42');
 * const outcome = await trip.waitForStep('bookHotel', { timeoutMs: 5_000 });
 * if ((await trip.cancel('The customer changed plans')).accepted) await trip.result().catch(() => undefined);
 * ```
 */
import type { Client, Workflow, WorkflowHandle, WorkflowResultType } from '@temporalio/client';
import type { CompensationResolution, SagaState } from '../../workflows/saga';
import { waitForStepUpdate } from '../../workflows/saga';
import type { CancelOutcome, ReadSagaStateOptions, ResolveOutcome, SagaRead, StepOutcome } from './client';
import {
  cancelSaga,
  getSagaState,
  outcomeOfEnded,
  readSagaState,
  resolveCompensation,
  updateFailureOf,
} from './client';
import type { RawEvents, SagaHistory } from './history';
import { sagaHistory } from './history';
import { isNotFound, isPastDeadline } from './temporal-errors';

export interface SagaHandle<W extends Workflow = Workflow, Step extends string = string> {
  readonly workflowId: string;
  /** The saga's exact state; waits for a worker while the saga runs (see {@link getSagaState}). */
  state(): Promise<SagaState>;
  /** The saga's state within a bound, stale when no worker answers in time (see {@link readSagaState}). */
  read(options?: ReadSagaStateOptions): Promise<SagaRead>;
  /** Waits, at most `timeoutMs`, until `step` has succeeded, failed, or the saga ended without it. */
  waitForStep(step: Step, options: { timeoutMs: number }): Promise<StepOutcome>;
  /** Accepted before the pivot (the saga compensates); refused with the reason after it. */
  cancel(reason: string): Promise<CancelOutcome>;
  /** Resolves the escalated compensation of `resolution.step` (retry, skip or abort). */
  resolve(resolution: CompensationResolution & { step: Step }): Promise<ResolveOutcome>;
  /** The saga's timeline, and its raw events when asked for. */
  history(options?: { events?: RawEvents }): Promise<SagaHistory>;
  /** The saga's result; rejects with its failure (`WorkflowFailedError`) when it compensated or failed. */
  result(): Promise<WorkflowResultType<W>>;
  /** The SDK's handle, for what this one does not cover (signals, termination, describe). */
  readonly workflow: WorkflowHandle<W>;
}

/**
 * A handle on the saga `workflowId`. `Step` narrows the step names it accepts to the saga's own (a misspelt step is
 * a compile error); `W` types its result.
 */
export function sagaHandle<W extends Workflow = Workflow, Step extends string = string>(
  client: Client,
  workflowId: string,
): SagaHandle<W, Step> {
  const workflow = client.workflow.getHandle<W>(workflowId);
  return {
    workflowId,
    workflow,
    state: () => getSagaState(client, workflowId),
    read: (options) => readSagaState(client, workflowId, options),
    waitForStep: (step, { timeoutMs }) => waitForStep(client, workflow, step, timeoutMs),
    cancel: (reason) => cancelSaga(client, workflowId, reason),
    resolve: (resolution) => resolveCompensation(client, workflowId, resolution),
    history: (options) => sagaHistory(client, workflowId, options),
    result: () => workflow.result(),
  };
}

async function waitForStep(
  client: Client,
  workflow: WorkflowHandle,
  step: string,
  timeoutMs: number,
): Promise<StepOutcome> {
  const deadline = Date.now() + timeoutMs;
  try {
    const state = await client.connection.withDeadline(deadline, () =>
      workflow.executeUpdate(waitForStepUpdate, { args: [{ step }] }),
    );
    return { outcome: 'reached', state };
  } catch (error) {
    const failure = updateFailureOf(error);
    if (failure) return { outcome: 'failed', failure };
    // An Update to a saga that has ended fails as "not found": its final state tells whether the step succeeded.
    if (isNotFound(error)) return outcomeOfEnded(await getSagaState(client, workflow.workflowId), step);
    if (isPastDeadline(error, deadline)) return { outcome: 'pending' };
    throw error;
  }
}
