/**
 * The saga context: a saga is ordinary workflow code that runs each of its steps through `saga.step(...)`, so
 * that the engine, not the business code, keeps the step states, answers the `sagaState` query and mirrors the
 * status into search attributes.
 *
 * This is the engine's first cut: steps run forward and a failed step fails the saga. Compensations, pivots,
 * parallel groups and escalation build on this same context.
 */
import { setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { SagaStatusKey, SagaStepKey } from './search-attributes';
import type { SagaState, StepError, StepState } from './state';
import { SagaStatus, StepStatus, sagaStateQuery } from './state';

/** What a step's action is handed. */
export interface StepContext {
  /**
   * Stable across retries, replays and continue-as-new: `<workflowId>/<step name>`, never the run id. Services
   * make their effect idempotent on it.
   */
  idempotencyKey: string;
}

export class Saga {
  readonly #state: SagaState;

  /** @param stepNames every step the saga may run, in order, so that the state shows what is still pending. */
  constructor(stepNames: readonly string[]) {
    this.#state = {
      sagaId: workflowInfo().workflowId,
      status: SagaStatus.Running,
      steps: stepNames.map((name) => ({ name, status: StepStatus.Pending })),
      startedAt: now(),
    };
    setHandler(sagaStateQuery, () => this.#state);
  }

  /**
   * Runs the saga's body: the saga completes when it returns and fails, with the error rethrown, when it throws.
   */
  async run<T>(body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      this.#state.status = SagaStatus.Completed;
      return result;
    } catch (error) {
      this.#state.status = SagaStatus.Failed;
      this.#state.error = describeError(error);
      throw error;
    } finally {
      this.#state.finishedAt = now();
      this.#publish();
    }
  }

  /** Runs one step's action, recording its start, end and failure. */
  async step<T>(name: string, action: (context: StepContext) => Promise<T>): Promise<T> {
    const step = this.#stepNamed(name);
    step.status = StepStatus.Running;
    step.startedAt = now();
    this.#publish(name);
    try {
      const result = await action({ idempotencyKey: `${this.#state.sagaId}/${name}` });
      step.status = StepStatus.Succeeded;
      return result;
    } catch (error) {
      step.status = StepStatus.Failed;
      step.error = describeError(error);
      throw error;
    } finally {
      step.finishedAt = now();
    }
  }

  #stepNamed(name: string): StepState {
    let step = this.#state.steps.find((candidate) => candidate.name === name);
    if (!step) {
      step = { name, status: StepStatus.Pending };
      this.#state.steps.push(step);
    }
    return step;
  }

  /** One upsert per transition (a history event each), carrying the status with the step. */
  #publish(currentStep?: string): void {
    upsertSearchAttributes([
      { key: SagaStatusKey, value: this.#state.status },
      ...(currentStep ? [{ key: SagaStepKey, value: currentStep }] : []),
    ]);
  }
}

function now(): string {
  return new Date().toISOString();
}

/**
 * The innermost typed failure of an error chain: an activity's `ApplicationFailure` arrives wrapped in an
 * `ActivityFailure`. Reads the `type` field rather than using `instanceof`, which breaks across the sandbox.
 */
function describeError(error: unknown): StepError {
  let current: unknown = error;
  let typed: StepError | undefined;
  while (current instanceof Error) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string') typed = { type, message: current.message };
    current = current.cause;
  }
  if (typed) return typed;
  return error instanceof Error
    ? { type: error.name, message: error.message }
    : { type: 'Error', message: String(error) };
}
