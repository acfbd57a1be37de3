/**
 * The saga's observable state: what the `sagaState` query returns, what the search attributes mirror and what the
 * Web UI's current-details table shows. Enums are a const object plus a type of the same name.
 */

export const SagaStatus = {
  /** Steps are running forward. */
  Running: 'running',
  /** A step failed (or the saga was cancelled, or its deadline passed): completed steps are being undone. */
  Compensating: 'compensating',
  /**
   * A compensation failed under the `escalate` policy, or a step or compensation kept failing past the saga's
   * `retryLimit`: the saga waits for an operator.
   */
  NeedsAttention: 'needs_attention',
  /** Every step succeeded. */
  Completed: 'completed',
  /** A step failed and every completed step was undone. */
  Compensated: 'compensated',
  /** The saga ended with work not undone: compensations failed (`continue`), or an operator aborted. */
  Failed: 'failed',
} as const;
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

export const StepStatus = {
  Pending: 'pending',
  Running: 'running',
  /** Failed after the pivot: waiting to be tried again, since nothing can be undone any more. */
  Retrying: 'retrying',
  /** Failed after the pivot on `retryLimit` runs in a row: waiting for an operator to retry it or stop the saga. */
  NeedsAttention: 'needs_attention',
  Succeeded: 'succeeded',
  Failed: 'failed',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export const CompensationStatus = {
  Running: 'running',
  /** Failed under the `retry` policy: waiting to be tried again. */
  Retrying: 'retrying',
  /** Failed under the `escalate` policy, or `retryLimit` times under `retry`: waiting for an operator. */
  NeedsAttention: 'needs_attention',
  Succeeded: 'succeeded',
  /** Failed under the `continue` policy, or not finished when an operator aborted. */
  Failed: 'failed',
  /** An operator chose to skip it. */
  Skipped: 'skipped',
} as const;
export type CompensationStatus = (typeof CompensationStatus)[keyof typeof CompensationStatus];

export interface StepError {
  /** The failure's stable type (`ApplicationFailure.type`, e.g. `OutOfStock`), or the error's name. */
  type: string;
  message: string;
}

export interface CompensationState {
  status: CompensationStatus;
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  error?: StepError;
}

export interface StepState {
  name: string;
  status: StepStatus;
  /** How many times the engine ran the step's action (Temporal's own activity retries happen within one). */
  attempts: number;
  /** Set on the saga's pivot step: once it succeeds, nothing is undone. */
  pivot?: true;
  /** The parallel group the step ran in. */
  group?: string;
  /** ISO-8601 workflow time. */
  startedAt?: string;
  finishedAt?: string;
  error?: StepError;
  /** Present once the step's compensation started. */
  compensation?: CompensationState;
}

export const CompensationEvent = {
  Started: 'started',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Escalated: 'escalated',
  Resolved: 'resolved',
  Skipped: 'skipped',
  Aborted: 'aborted',
} as const;
export type CompensationEvent = (typeof CompensationEvent)[keyof typeof CompensationEvent];

/** One line of the compensation log, in the order things happened. */
export interface CompensationLogEntry {
  step: string;
  event: CompensationEvent;
  at: string;
  attempt: number;
  error?: StepError;
  /** For `resolved`: what the operator chose. */
  resolution?: string;
}

export interface CancellationState {
  requestedAt: string;
  reason: string;
  /** `accepted`: the saga compensates. `rejected`: it had passed its pivot, and goes on. */
  outcome: 'accepted' | 'rejected';
  rejection?: string;
}

export interface Escalation {
  step: string;
  /** What waits: the step's compensation, or its action after the pivot. */
  kind: 'action' | 'compensation';
  error: StepError;
  since: string;
}

export interface SagaState {
  /** The workflow id: the saga's business key. */
  sagaId: string;
  status: SagaStatus;
  /** The step that ran or was compensated last. */
  currentStep?: string;
  steps: StepState[];
  /** Whether the pivot step succeeded: from then on, steps are only retried forward. */
  pivotPassed: boolean;
  startedAt: string;
  finishedAt?: string;
  /** The failure that made the saga compensate. */
  failure?: StepError;
  cancellation?: CancellationState;
  /** Compensations, and actions after the pivot, waiting for an operator (status `needs_attention`). */
  escalations: Escalation[];
  compensationLog: CompensationLogEntry[];
}
