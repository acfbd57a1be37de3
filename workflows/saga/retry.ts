/**
 * How the engine retries. Where it would retry until success (a step after the pivot, a compensation under
 * `retry`), the activities retry without limit: on the server, each attempt adds no history event, so a step that
 * fails a thousand times costs what one that fails once does. Only a failure the activities do not retry costs a
 * run of the engine's own loop, after a backoff.
 */
import type { StepScope } from './activities';
import type { Backoff, SagaOptions } from './options';
import { CompensationFailurePolicy, defaultBackoff, defaultBoundedCompensationRetry, millisecondsOf } from './options';
import type { StepRecord } from './step-record';

/** A retry policy with no limit on attempts (the SDK sends Infinity as "unlimited"). */
const untilSuccess = { maximumAttempts: Number.POSITIVE_INFINITY };

/** The scope the activities of a step's action or compensation run in: its options, summary and retry policy. */
export function stepScopeOf(
  record: StepRecord,
  kind: StepScope['kind'],
  options: SagaOptions,
  pivotPassed: boolean,
  idempotencyKey: string,
): StepScope {
  const attempt = kind === 'action' ? record.state.attempts : (record.state.compensation?.attempts ?? 1);
  const policy = options.onCompensationFailure ?? CompensationFailurePolicy.Retry;
  const compensationRetry = policy === CompensationFailurePolicy.Retry ? untilSuccess : defaultBoundedCompensationRetry;
  let retry: StepScope['retry'];
  if (kind === 'compensation') retry = options.compensationRetry ?? compensationRetry;
  else if (pivotPassed) retry = untilSuccess;
  return {
    step: record.name,
    kind,
    attempt,
    idempotencyKey,
    calls: 0,
    summary: record.definition.summary,
    activityOptions: record.definition.activityOptions,
    retry,
  };
}

/** How long the engine waits before its next run of a step or compensation that failed `attempt` times. */
export function backoffDelay(attempt: number, retryBackoff: Backoff | undefined): number {
  const backoff: Required<Backoff> = { ...defaultBackoff, ...retryBackoff };
  const delay = millisecondsOf(backoff.initialInterval) * backoff.backoffCoefficient ** Math.max(0, attempt - 1);
  return Math.min(delay, millisecondsOf(backoff.maximumInterval));
}
