/**
 * The saga's observable state: what the `sagaState` query returns and what the search attributes mirror.
 * Enums are a const object plus a type of the same name.
 */
import { defineQuery } from '@temporalio/workflow';

export const SagaStatus = {
  Running: 'running',
  Completed: 'completed',
  Failed: 'failed',
} as const;
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

export const StepStatus = {
  Pending: 'pending',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export interface StepError {
  /** The failure's stable type (`ApplicationFailure.type`), or the error's name. */
  type: string;
  message: string;
}

export interface StepState {
  name: string;
  status: StepStatus;
  /** ISO-8601 workflow time. */
  startedAt?: string;
  finishedAt?: string;
  error?: StepError;
}

export interface SagaState {
  /** The workflow id: the saga's business key. */
  sagaId: string;
  status: SagaStatus;
  steps: StepState[];
  startedAt: string;
  finishedAt?: string;
  error?: StepError;
}

/** Reads a saga's {@link SagaState}; answered from the workflow's memory, so it needs a polling worker. */
export const sagaStateQuery = defineQuery<SagaState>('sagaState');
