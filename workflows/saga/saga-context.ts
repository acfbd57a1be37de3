/** What a saga's body works with: the saga context it runs its steps through, and how it defines a step. */
import type { ActivityOptions } from '@temporalio/common';
import type { StepError } from './state';

/** What a step's action is handed. */
export interface StepContext {
  /**
   * `<workflowId>/<step name>`: the same on every attempt, after a worker restart and on replay (never the run
   * id). Services make their effect idempotent on it.
   */
  idempotencyKey: string;
  /** 1 on the first run of the action; higher when the engine runs it again (forward retries after the pivot). */
  attempt: number;
}

/** What a step's compensation is handed. */
export interface CompensationContext<T> {
  /** `<workflowId>/<step name>/compensate`: stable like the action's. */
  idempotencyKey: string;
  /** The action's idempotency key, so that the service can find what to undo even when `result` is unknown. */
  actionKey: string;
  /** The action's result, or `undefined` when the action failed or timed out with its outcome unknown. */
  result: T | undefined;
  /** Why the saga compensates: the failure, cancellation or deadline that stopped it. */
  reason: StepError;
  attempt: number;
}

export interface StepDefinition<T> {
  /** The forward action: usually one activity, called through {@link sagaActivities}. */
  action(context: StepContext): Promise<T>;
  /** Semantically undoes the action; must tolerate "nothing to undo". @default none: the step is not undone */
  compensate?(context: CompensationContext<T>): Promise<unknown>;
  /** Marks the point of no return (at most one per saga). @default false */
  pivot?: boolean;
  /** One line for the Web UI, on the step's activities, e.g. "Reserve 2 × SKU-1". @default "<step>: <activity>" */
  summary?: string;
  /** Overrides the activity options of the activities this step calls. @default the proxy's options */
  activityOptions?: Partial<ActivityOptions>;
}

/** A step of a parallel group; a pivot cannot run in parallel. */
export interface ParallelStep<T, Step extends string = string> extends Omit<StepDefinition<T>, 'pivot'> {
  name: Step;
}

/** The results of a parallel group, in the order of its steps. */
export type ParallelResults<S extends readonly ParallelStep<unknown, string>[]> = {
  -readonly [K in keyof S]: S[K] extends ParallelStep<infer T, string> ? T : never;
};

/** The saga context that a saga's body runs its steps through; `Step`: the names it declared in `steps`. */
export interface SagaContext<Step extends string = string> {
  /** Runs one step: registers its compensation, then runs its action. Rethrows the action's failure. */
  step<T>(name: Step, definition: StepDefinition<T>): Promise<T>;
  /**
   * Runs steps concurrently. If one fails, the others are let finish first; the saga then compensates each
   * that succeeded (or ended with its outcome unknown). Resolves with the results in order.
   */
  parallel<const S extends readonly ParallelStep<unknown, Step>[]>(steps: S): Promise<ParallelResults<S>>;
  /** The idempotency key of a step of this saga, e.g. for a later step to find what an earlier one did. */
  idempotencyKeyOf(step: Step): string;
}
