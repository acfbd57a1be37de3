/**
 * How the engine reads failures. Errors are told apart by their `name` and `type` fields, never by `instanceof`,
 * which breaks across the workflow sandbox.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { StepError } from './state';

/** The failure types the engine itself raises, or records as the failure in the saga's state. */
export const SagaFailureType = {
  /**
   * A step failed before the pivot and every completed step was undone; the message says what failed and what was
   * undone, the `cause` is the step's failure.
   */
  SagaCompensated: 'SagaCompensated',
  /** Compensations failed under the `continue` policy; `details[0]` lists them. */
  CompensationFailed: 'CompensationFailed',
  /** An operator aborted the compensation of an escalated saga. */
  CompensationAborted: 'CompensationAborted',
  /** An operator stopped a saga whose step kept failing after the pivot; nothing was undone. */
  StepAborted: 'StepAborted',
  /** The saga was cancelled through the `cancelSaga` Update and compensated. */
  SagaCancelled: 'SagaCancelled',
  /**
   * The workflow itself was cancelled (Web UI, CLI, a client's `cancel()`) before its pivot, and the saga
   * compensated: the saga's state carries this type as its failure, and the workflow ends cancelled.
   */
  WorkflowCancelled: 'WorkflowCancelled',
  /** The saga's deadline passed before its pivot, and it compensated. */
  SagaDeadlineExceeded: 'SagaDeadlineExceeded',
  /** A `cancelSaga` Update was refused; the message says why. */
  CancelRejected: 'CancelRejected',
  /** A `resolveCompensation` Update was refused; the message says why. */
  ResolutionRejected: 'ResolutionRejected',
  /** A `waitForStep` Update named a step the saga does not declare. */
  UnknownStep: 'UnknownStep',
} as const;
export type SagaFailureType = (typeof SagaFailureType)[keyof typeof SagaFailureType];

/**
 * A bug in how a saga is written (a duplicate step name, a second pivot, a compensation after the pivot). It is
 * not a step failure: it fails the workflow task, so the saga waits, unharmed, for fixed code.
 */
export class SagaDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SagaDefinitionError';
  }
}

/** The fields the engine and its clients read off an error, whatever its class. */
export interface FailureLike {
  name?: unknown;
  type?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  retryState?: unknown;
  nonRetryable?: unknown;
  /** A Nexus `HandlerError`'s. */
  retryable?: unknown;
}

/** The error, then its cause, then that one's, … (bounded). */
export function* causeChain(error: unknown): Generator<FailureLike> {
  let current = error;
  for (let depth = 0; depth < 20 && typeof current === 'object' && current !== null; depth++) {
    yield current;
    current = (current as FailureLike).cause;
  }
}

/**
 * Whether a step's failure means the step did nothing: a business failure (a non-retryable `ApplicationFailure`),
 * raised by its activity, its Nexus operation, or the workflow code itself. Anything else (a timeout, exhausted
 * retries, a cancellation) leaves the outcome unknown: the side effect may have happened, so the compensation must
 * run.
 */
export function isBusinessFailure(error: unknown): boolean {
  const failure = error as FailureLike | undefined;
  if (failure?.name === 'ApplicationFailure') return failure.nonRetryable === true;
  if (failure?.name === 'ActivityFailure') {
    const cause = failure.cause as FailureLike | undefined;
    return failure.retryState === 'NON_RETRYABLE_FAILURE' && cause?.name === 'ApplicationFailure';
  }
  if (failure?.name === 'NexusOperationFailure') {
    // A failed operation (an OperationError, a workflow-run operation's workflow failure) arrives as a non-retryable
    // ApplicationFailure; what a handler threw, in a HandlerError that is not retryable.
    const cause = failure.cause as FailureLike | undefined;
    return isBusinessFailure(cause?.name === 'HandlerError' && cause.retryable === false ? cause.cause : cause);
  }
  return false;
}

/** Whether the error is, or wraps, a cancellation. */
export function isCancellation(error: unknown): boolean {
  for (const failure of causeChain(error)) if (failure.name === 'CancelledFailure') return true;
  return false;
}

/** The innermost typed failure of an error chain: an activity's `ApplicationFailure` arrives wrapped. */
export function describeError(error: unknown): StepError {
  let typed: StepError | undefined;
  let first: StepError | undefined;
  for (const failure of causeChain(error)) {
    const message = typeof failure.message === 'string' ? failure.message : '(no message)';
    first ??= { type: typeof failure.name === 'string' ? failure.name : 'Error', message };
    if (typeof failure.type === 'string' && failure.type) typed = { type: failure.type, message };
    else if (failure.name === 'TimeoutFailure' || failure.name === 'CancelledFailure') {
      typed ??= { type: failure.name, message };
    }
  }
  return typed ?? first ?? { type: 'Error', message: String(error) };
}

/** A non-retryable failure of one of the engine's own types. */
export function sagaFailure(type: SagaFailureType, message: string, cause?: unknown, details?: unknown[]): Error {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: true,
    ...(cause instanceof Error ? { cause } : {}),
    ...(details ? { details } : {}),
  });
}

/**
 * How the failure message of a saga that compensated as designed begins. A worker's logger tells that ending apart
 * by it: on the way from the workflow sandbox to the logger the failure keeps its message, but loses its type.
 */
const compensatedPrefix = 'compensated after ';

/**
 * The failure message of a saga that compensated as designed: what stopped it, then what was undone, e.g.
 * `compensated after requestShipment failed: Undeliverable: No courier delivers to this address. (undone:
 * chargePayment, reserveStock, createOrder)`.
 */
export function compensatedMessage(stoppedBy: string, undone: readonly string[], skipped: readonly string[]): string {
  const outcome = [
    ...(undone.length > 0 ? [`undone: ${undone.join(', ')}`] : []),
    ...(skipped.length > 0 ? [`skipped: ${skipped.join(', ')}`] : []),
  ];
  return `${compensatedPrefix}${stoppedBy} (${outcome.join('; ') || 'nothing to undo'})`;
}

/**
 * Whether a workflow failed as a saga that compensated as designed (`SagaCompensated`, `SagaCancelled`,
 * `SagaDeadlineExceeded`): an expected business outcome, not an error. Reads the message only (see
 * {@link compensatedMessage}), so that it holds for the failure as a worker's logger receives it.
 */
export function isCompensatedEnding(error: unknown): boolean {
  const message = (error as FailureLike | undefined)?.message;
  return typeof message === 'string' && message.startsWith(compensatedPrefix);
}
