/**
 * Compensating one step. Three things stay apart: an attempt runs the step's compensation once; when it failed,
 * the policy decides what follows (run it again after a backoff, record the failure and go on, or ask an
 * operator); the journal keeps the books of both. A compensation always runs to its end: it is retried, recorded,
 * escalated or skipped, but never throws, and stops only when an operator aborts the whole compensation.
 *
 * Recorded histories depend on when each piece of bookkeeping happens, also across compensations that run
 * together: keep the awaits (and the async functions around them) as they are.
 */
import { sleep } from '@temporalio/workflow';
import { stepScope } from './activities';
import type { CompensationResolution } from './definitions';
import { ResolutionAction } from './definitions';
import { describeError } from './failures';
import type { SagaJournal } from './journal';
import type { OperatorDesk } from './operator';
import type { SagaOptions } from './options';
import { CompensationFailurePolicy } from './options';
import { backoffDelay, stepScopeOf } from './retry';
import type { CompensationState, StepError } from './state';
import { CompensationEvent, CompensationStatus } from './state';
import type { StepRecord } from './step-record';

/** What compensating needs of the saga run. */
export interface CompensationRun {
  journal: SagaJournal;
  operator: OperatorDesk;
  options: SagaOptions;
  idempotencyKeyOf: (step: string) => string;
  /** Whether the engine's own loop has run `retryLimit` times since an operator last decided. */
  retriedEnough: (attempts: number) => boolean;
}

/** A compensation that failed under `continue`: the saga went on without it. */
export interface CompensationFailure {
  step: string;
  error: StepError;
}

/**
 * Runs one step's compensation to its end under the saga's failure policy; never throws. A failure the saga goes
 * on without (`continue`) is added to `failures`.
 */
export async function compensateStep(
  record: StepRecord,
  run: CompensationRun,
  failures: CompensationFailure[],
): Promise<void> {
  const { journal, operator } = run;
  const step = record.state;
  const compensation = journal.compensationBegan(step);
  for (;;) {
    if (operator.abort) return journal.compensationEnded(step, compensation, CompensationStatus.Failed);
    journal.compensationAttemptStarted(step, compensation);
    try {
      await attemptCompensation(record, compensation.attempts, run);
      return journal.compensationEnded(step, compensation, CompensationStatus.Succeeded, CompensationEvent.Succeeded);
    } catch (error) {
      journal.compensationAttemptFailed(step, compensation, describeError(error));
    }
    switch (decideAfterFailure(run.options, compensation.attempts, run.retriedEnough)) {
      case CompensationFailurePolicy.Retry:
        journal.compensationRetrying(step, compensation);
        await sleep(backoffDelay(compensation.attempts, run.options.retryBackoff));
        break;
      case CompensationFailurePolicy.Continue:
        failures.push({ step: record.name, error: compensation.error! });
        return journal.compensationEnded(step, compensation, CompensationStatus.Failed);
      case CompensationFailurePolicy.Escalate: {
        const resolution = await escalate(record, compensation, run);
        if (resolution.action === ResolutionAction.Skip) {
          return journal.compensationEnded(step, compensation, CompensationStatus.Skipped, CompensationEvent.Skipped);
        }
        if (resolution.action === ResolutionAction.Abort) {
          return journal.compensationEnded(step, compensation, CompensationStatus.Failed, CompensationEvent.Aborted);
        }
        break;
      }
    }
  }
}

/** Runs the step's compensation once, in the step's scope; rejects with its failure. */
function attemptCompensation(record: StepRecord, attempt: number, run: CompensationRun): Promise<unknown> {
  const actionKey = run.idempotencyKeyOf(record.name);
  const idempotencyKey = `${actionKey}/compensate`;
  const scope = stepScopeOf(record, 'compensation', run.options, run.journal.state.pivotPassed, idempotencyKey);
  return stepScope.run(scope, () =>
    record.definition.compensate!({
      idempotencyKey,
      actionKey,
      result: record.result,
      reason: run.journal.state.failure ?? { type: 'Unknown', message: 'The saga is compensating.' },
      attempt,
    }),
  );
}

/**
 * What follows a failed run of a compensation: the saga's policy (`retry` by default), except that under `retry`
 * an operator decides after every `retryLimit` runs.
 */
export function decideAfterFailure(
  options: SagaOptions,
  attempts: number,
  retriedEnough: (attempts: number) => boolean,
): CompensationFailurePolicy {
  const policy = options.onCompensationFailure ?? CompensationFailurePolicy.Retry;
  return policy === CompensationFailurePolicy.Retry && retriedEnough(attempts)
    ? CompensationFailurePolicy.Escalate
    : policy;
}

/** Parks a failed compensation until an operator resolves it (or aborts the whole compensation). */
async function escalate(
  record: StepRecord,
  compensation: CompensationState,
  { journal, operator }: CompensationRun,
): Promise<CompensationResolution> {
  journal.compensationEscalated(record.state, compensation);
  const resolution = await operator.decisionOn(record.state, 'compensation');
  journal.compensationResolved(record.state, resolution);
  return resolution;
}
