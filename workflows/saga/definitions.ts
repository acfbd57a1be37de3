/**
 * The saga's query and Updates, shared by the workflow (which handles them) and clients (which call them).
 * Update validators reject invalid requests before anything is written to the history.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { SagaState } from './state';

/** Reads a saga's {@link SagaState}; answered from the workflow's memory, so it needs a polling worker. */
export const sagaStateQuery = defineQuery<SagaState>('sagaState');

export interface CancelSagaRequest {
  /** Why the saga is cancelled, for the state and the history. */
  reason: string;
}

export interface CancelSagaResult {
  /** The saga's status once the cancellation was accepted (`compensating` follows). */
  status: string;
}

/**
 * Cancels a saga that has not passed its pivot: the running step is cancelled and completed steps are undone.
 * Rejected (type `CancelRejected`, with the reason) after the pivot, while it runs, or once the saga has ended.
 */
export const cancelSagaUpdate = defineUpdate<CancelSagaResult, [CancelSagaRequest]>('cancelSaga');

export interface WaitForStepRequest {
  /** A step of the saga, as in `sagaState().steps`. */
  step: string;
}

/**
 * Answers once `step` has succeeded, with the saga's state; fails with the saga's failure (its `type`, e.g.
 * `PaymentDeclined`) once the step can no longer succeed. Sent with the saga's start (update-with-start), it lets
 * a caller wait for the first steps while the rest stays asynchronous. Rejected (`UnknownStep`) for a step the
 * saga does not declare.
 */
export const waitForStepUpdate = defineUpdate<SagaState, [WaitForStepRequest]>('waitForStep');

export const ResolutionAction = {
  /** Run the failed compensation again. */
  Retry: 'retry',
  /** Treat the compensation as done (an operator undid it by hand) and go on with the others. */
  Skip: 'skip',
  /** Stop compensating: the saga ends `failed`, with what is not undone in its state. */
  Abort: 'abort',
} as const;
export type ResolutionAction = (typeof ResolutionAction)[keyof typeof ResolutionAction];

export interface CompensationResolution {
  /** The escalated step, as listed in `sagaState().escalations`. */
  step: string;
  action: ResolutionAction;
  /** Who decided, and why; kept in the compensation log. */
  reason?: string;
}

/**
 * Resolves an escalated compensation (saga status `needs_attention`); answers with the resolution it accepted.
 * Rejected (type `ResolutionRejected`, with the reason) when no compensation of that step waits for an operator.
 */
export const resolveCompensationUpdate = defineUpdate<CompensationResolution, [CompensationResolution]>(
  'resolveCompensation',
);
