/**
 * The saga pattern, on a durable workflow.
 *
 * A saga is a sequence of local transactions in different services, with no distributed transaction around
 * them. Each step is a forward action plus an optional compensation that semantically undoes it. If a step fails
 * for good, the saga runs the compensations of the steps before it, in reverse, and reports the failure. A
 * Temporal workflow makes that durable: the history records each step, so a crash anywhere resumes exactly where
 * the saga was, and each step's activity is retried until its service answers.
 *
 * How this engine runs a saga:
 * - A step's compensation is registered before its action runs: an action that timed out may still have done its
 *   work. So a compensation runs when its step succeeded or ended without a clear answer, and must tolerate
 *   "nothing to undo". Only a business failure (a non-retryable `ApplicationFailure`: the service said no) drops
 *   it.
 * - The pivot step is the point of no return. Until it succeeds, cancelling the saga or passing its deadline
 *   compensates; after it, nothing is undone, cancellation is rejected, and failed steps are retried forward.
 * - A parallel group waits for every sibling to settle before the saga compensates, so that a sibling still
 *   running is never left half-done and uncompensated.
 * - Compensations run in a non-cancellable scope: a cancellation that arrives mid-compensation cannot leave the
 *   saga half undone. A compensation that keeps failing is retried, recorded, or escalated to an operator,
 *   as the saga's policy says.
 * - The history stays bounded however long a step keeps failing: the engine's retries are the activities' own
 *   (on the server, no event per attempt), and after `retryLimit` runs of its own loop it asks an operator.
 * - Everything the engine knows is observable: the `sagaState` query, the `SagaStatus` and `SagaStep` search
 *   attributes, and a live markdown table in the Web UI's current details.
 */
import type { ActivityOptions } from '@temporalio/common';
import {
  allHandlersFinished,
  ApplicationFailure,
  CancelledFailure,
  CancellationScope,
  condition,
  patched,
  upsertMemo,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { StepScope } from './activities';
import { stepScope } from './activities';
import { renderSagaTable } from './current-details';
import type { CompensationResolution } from './definitions';
import {
  cancelSagaUpdate,
  ResolutionAction,
  resolveCompensationUpdate,
  sagaStateQuery,
  waitForStepUpdate,
} from './definitions';
import {
  compensatedMessage,
  describeError,
  isBusinessFailure,
  SagaDefinitionError,
  sagaFailure,
  SagaFailureType,
} from './failures';
import { countSagaReached, countSagaStarted } from './metrics';
import type { Backoff, SagaOptions } from './options';
import {
  CompensationFailurePolicy,
  CompensationOrder,
  defaultBackoff,
  defaultBoundedCompensationRetry,
  defaultRetryLimit,
  millisecondsOf,
} from './options';
import { SagaStatusKey, SagaStepKey } from './search-attributes';
import type { CompensationState, Escalation, SagaState, StepError, StepState } from './state';
import { CompensationEvent, CompensationStatus, SagaStatus, StepStatus } from './state';

/** The memo key of the saga's final step table (markdown). */
export const sagaTableMemoKey = 'sagaTable';

/** The memo key of the saga's final {@link SagaState}: what a client reads of a finished saga, with no worker. */
export const sagaStateMemoKey = 'sagaState';

/** Changes to the engine that sagas already running must not see (see `patched()`). */
export const SagaPatch = {
  /** Leave the final step table in the memo. */
  FinalTableMemo: 'saga-engine/final-table-memo',
  /**
   * A cancelled action is awaited until its worker reports how it ended, so that its compensation never overtakes
   * it. Sagas stopped before this patch compensated at once, and replay so.
   */
  WaitForCancelledActions: 'saga-engine/wait-for-cancelled-actions',
  /**
   * After `retryLimit` runs of the engine's own retry loop, ask an operator. Sagas that were already retrying
   * before this patch retry on, with a timer, as they did.
   */
  EscalateAfterRetryLimit: 'saga-engine/escalate-after-retry-limit',
  /**
   * A stop accepted before the body started (a cancellation delivered with the first workflow task) cancels the
   * body before its first step. Before this patch such a saga ran on and completed.
   */
  StopBeforeFirstStep: 'saga-engine/stop-before-first-step',
  /**
   * A step reached after a stop was accepted does not start: before this patch it was marked running, then failed
   * with the cancellation, and read as the step the saga stopped during.
   */
  NoStepAfterStop: 'saga-engine/no-step-after-stop',
} as const;

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

type ParallelResults<S extends readonly ParallelStep<unknown, string>[]> = {
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

/**
 * Runs `body` as a saga. Resolves with its result when every step succeeded. When a step fails before the pivot,
 * compensates and fails with `SagaCompensated`, whose message names the step, its failure and what was undone, and
 * whose `cause` is the step's failure (or with another of the engine's types: {@link SagaFailureType}).
 */
export function runSaga<T, const Step extends string = string>(
  body: (saga: SagaContext<Step>) => Promise<T>,
  options: SagaOptions<Step> = {},
): Promise<T> {
  // The run itself takes any name: the names were checked where the saga's body calls it.
  return new SagaRun(options).run(body);
}

interface StepRecord {
  name: string;
  state: StepState;
  definition: StepDefinition<unknown>;
  /** Whether the compensation runs if the saga compensates: cleared by a business failure of the action. */
  armed: boolean;
  result: unknown;
}

interface StopRequest {
  type: SagaFailureType | 'WorkflowCancelled';
  reason: string;
}

class SagaRun implements SagaContext {
  readonly #options: SagaOptions;
  readonly #state: SagaState;
  readonly #records = new Map<string, StepRecord>();
  /** Groups of steps whose compensations are registered, in the order they ran. */
  readonly #compensations: StepRecord[][] = [];
  readonly #resolutions = new Map<string, CompensationResolution>();
  #body: CancellationScope | undefined;
  #pivotInFlight: string | undefined;
  #stop: StopRequest | undefined;
  /** Rejected when a saga without {@link SagaPatch.WaitForCancelledActions} stops: its actions ended at once. */
  readonly #stoppedAtOnce = rejectable();
  #abort: CompensationResolution | undefined;
  #published: { status?: SagaStatus; step?: string } = {};

  constructor(options: SagaOptions) {
    if (options.retryLimit !== undefined && !(Number.isInteger(options.retryLimit) && options.retryLimit > 0)) {
      throw new SagaDefinitionError(`retryLimit must be a positive whole number; got ${options.retryLimit}.`);
    }
    this.#options = options;
    this.#state = {
      sagaId: workflowInfo().workflowId,
      status: SagaStatus.Running,
      steps: (options.steps ?? []).map((name) => ({ name, status: StepStatus.Pending, attempts: 0 })),
      pivotPassed: false,
      startedAt: now(),
      escalations: [],
      compensationLog: [],
    };
    setHandler(sagaStateQuery, () => this.#state);
    setHandler(cancelSagaUpdate, ({ reason }) => this.#acceptStop({ type: SagaFailureType.SagaCancelled, reason }), {
      validator: ({ reason }) => {
        if (typeof reason !== 'string' || !reason.trim()) {
          throw sagaFailure(SagaFailureType.CancelRejected, 'A cancellation needs a reason.');
        }
        const refusal = this.#cancelRefusal();
        if (refusal) throw sagaFailure(SagaFailureType.CancelRejected, refusal);
      },
    });
    setHandler(waitForStepUpdate, ({ step }) => this.#waitForStep(step), {
      validator: ({ step }) => {
        if (!this.#state.steps.some((candidate) => candidate.name === step)) {
          throw sagaFailure(SagaFailureType.UnknownStep, `The saga has no step '${String(step)}'.`);
        }
      },
    });
    setHandler(resolveCompensationUpdate, (resolution: CompensationResolution) => this.#acceptResolution(resolution), {
      validator: (resolution: CompensationResolution) => {
        const refusal = this.#resolutionRefusal(resolution);
        if (refusal) throw sagaFailure(SagaFailureType.ResolutionRejected, refusal);
      },
    });
  }

  async run<T>(body: (saga: SagaContext) => Promise<T>): Promise<T> {
    // The workflow's own cancellation (Web UI, CLI, client) reaches the root scope; the body runs shielded from
    // it, so that the engine decides: compensate before the pivot, refuse after.
    CancellationScope.current().cancelRequested.catch(() => this.#onWorkflowCancelled());
    if (this.#options.deadline !== undefined) this.#startDeadline(this.#options.deadline);
    countSagaStarted();
    this.#publish();
    return CancellationScope.nonCancellable(async () => {
      const bodyScope = new CancellationScope();
      this.#body = bodyScope;
      // An Update sent with the start is handled as its handler is set, before the body exists to be cancelled.
      if (this.#stop && patched(SagaPatch.StopBeforeFirstStep)) bodyScope.cancel();
      let definitionError = false;
      try {
        const result = await bodyScope.run(() => body(this));
        // The last action may have ended well after the saga accepted a stop: the stop still stands.
        if (this.#stop && !this.#state.pivotPassed) throw new CancelledFailure(this.#stop.reason);
        this.#end(SagaStatus.Completed);
        return result;
      } catch (error) {
        definitionError = (error as Error | undefined)?.name === 'SagaDefinitionError';
        if (definitionError) throw error;
        if (this.#state.pivotPassed) {
          this.#state.failure = describeError(error);
          this.#end(SagaStatus.Failed);
          throw error;
        }
        throw await this.#compensate(error);
      } finally {
        // Update handlers waiting on the saga (waitForStep) answer before the workflow closes; a bug in the saga
        // fails the workflow task at once instead, since the steps they wait for will never run.
        if (!definitionError) await condition(allHandlersFinished);
      }
    });
  }

  async #waitForStep(name: string): Promise<SagaState> {
    const step = () => this.#state.steps.find((candidate) => candidate.name === name);
    await condition(() => step()?.status === StepStatus.Succeeded || this.#state.status !== SagaStatus.Running);
    if (step()?.status === StepStatus.Succeeded) return this.#state;
    const failure = this.#state.failure ?? { type: 'SagaEnded', message: `The saga ended without step '${name}'.` };
    throw ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable: true });
  }

  async step<T>(name: string, definition: StepDefinition<T>): Promise<T> {
    const record = this.#register(name, definition);
    if (definition.pivot) return (await this.#runPivot(record)) as T;
    if (this.#state.pivotPassed) return (await this.#runForward(record)) as T;
    this.#compensations.push([record]);
    return (await this.#runAction(record)) as T;
  }

  async parallel<const S extends readonly ParallelStep<unknown>[]>(steps: S): Promise<ParallelResults<S>> {
    const group = steps.map((step) => step.name).join(' + ');
    const records = steps.map((step) => this.#register(step.name, step, group));
    const run = this.#state.pivotPassed
      ? (record: StepRecord) => this.#runForward(record)
      : (record: StepRecord) => this.#runAction(record);
    if (!this.#state.pivotPassed) this.#compensations.push(records);
    const settled = await Promise.allSettled(records.map(run));
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as ParallelResults<S>;
  }

  idempotencyKeyOf(step: string): string {
    return `${this.#state.sagaId}/${step}`;
  }

  #register(name: string, definition: StepDefinition<unknown>, group?: string): StepRecord {
    if (this.#records.has(name)) throw new SagaDefinitionError(`Step names must be unique: '${name}' ran twice.`);
    if (definition.pivot && this.#state.steps.some((step) => step.pivot)) {
      throw new SagaDefinitionError(`A saga has one pivot step; '${name}' would be the second.`);
    }
    if (this.#state.pivotPassed && definition.compensate) {
      throw new SagaDefinitionError(
        `Step '${name}' runs after the pivot, where nothing is undone: drop its compensation.`,
      );
    }
    let state = this.#state.steps.find((step) => step.name === name);
    if (!state) {
      state = { name, status: StepStatus.Pending, attempts: 0 };
      this.#state.steps.push(state);
    }
    if (definition.pivot) state.pivot = true;
    if (group) state.group = group;
    const record: StepRecord = { name, state, definition, armed: true, result: undefined };
    this.#records.set(name, record);
    return record;
  }

  async #runAction(record: StepRecord): Promise<unknown> {
    const { state, definition } = record;
    // A stop accepted while the step before was still running (and was awaited): this one never starts, stays
    // pending, and has nothing to undo.
    if (this.#stop && this.#body?.consideredCancelled && patched(SagaPatch.NoStepAfterStop)) {
      record.armed = false;
      throw new CancelledFailure(this.#stop.reason);
    }
    state.attempts += 1;
    state.status = StepStatus.Running;
    state.startedAt ??= now();
    delete state.error;
    this.#publish(record.name);
    try {
      const result = await Promise.race([
        stepScope.run(this.#scope(record, 'action'), () =>
          definition.action({ idempotencyKey: this.#key(record), attempt: state.attempts }),
        ),
        this.#stoppedAtOnce.promise,
      ]);
      record.result = result;
      state.status = StepStatus.Succeeded;
      return result;
    } catch (error) {
      state.status = StepStatus.Failed;
      state.error = describeError(error);
      if (isBusinessFailure(error)) record.armed = false;
      throw error;
    } finally {
      state.finishedAt = now();
      this.#publish(record.name);
    }
  }

  async #runPivot(record: StepRecord): Promise<unknown> {
    this.#compensations.push([record]);
    this.#pivotInFlight = record.name;
    try {
      const result = await this.#runAction(record);
      this.#state.pivotPassed = true;
      this.#compensations.length = 0;
      return result;
    } finally {
      this.#pivotInFlight = undefined;
      const deferred = this.#stop?.type === 'WorkflowCancelled' ? this.#stop : undefined;
      if (deferred && this.#state.pivotPassed) this.#rejectCancellation(deferred.reason);
      else if (deferred)
        this.#state.cancellation = { requestedAt: now(), reason: deferred.reason, outcome: 'accepted' };
    }
  }

  /**
   * After the pivot there is no way back: the step is tried again, with backoff, until it succeeds. Its activities
   * retry without limit (see {@link #scope}); each failure they do not retry costs a run of this loop, and every
   * `retryLimit` runs an operator decides: retry again, or stop the saga (`StepAborted`, nothing undone).
   */
  async #runForward(record: StepRecord): Promise<unknown> {
    for (;;) {
      try {
        return await this.#runAction(record);
      } catch (error) {
        // An operator stopped the saga at a sibling of a parallel group: this step stops trying too.
        if (this.#abort) throw this.#stepAborted(record, this.#abort, error);
        if (!this.#retriedEnough(record.state.attempts)) {
          record.state.status = StepStatus.Retrying;
          this.#publish(record.name);
          await sleep(this.#backoff(record.state.attempts));
          continue;
        }
        record.state.status = StepStatus.NeedsAttention;
        const resolution = await this.#awaitOperator(record, 'action', describeError(error));
        if (resolution.action === ResolutionAction.Abort) throw this.#stepAborted(record, resolution, error);
      }
    }
  }

  #stepAborted(record: StepRecord, abort: CompensationResolution, cause: unknown): Error {
    const why = abort.reason ? `: ${abort.reason}` : '';
    return sagaFailure(
      SagaFailureType.StepAborted,
      `An operator stopped the saga at step '${abort.step}', after its pivot, so nothing was undone${why}.`,
      abort.step === record.name ? cause : undefined,
    );
  }

  /** Runs the registered compensations and returns the error the saga ends with. */
  async #compensate(cause: unknown): Promise<Error> {
    this.#state.failure = this.#stop ? { type: this.#stop.type, message: this.#stop.reason } : describeError(cause);
    this.#setStatus(SagaStatus.Compensating);
    const groups = this.#compensations
      .splice(0)
      .reverse()
      .map((group) => group.filter((record) => record.armed && typeof record.definition.compensate === 'function'))
      .filter((group) => group.length > 0);
    const failures: { step: string; error: StepError }[] = [];
    const undo = (records: StepRecord[]) =>
      Promise.all(records.map((record) => this.#compensateStep(record, failures)));
    if (this.#options.compensationOrder === CompensationOrder.Parallel) {
      await undo(groups.flat());
    } else {
      for (const group of groups) {
        if (this.#abort) break;
        await undo(group);
      }
    }

    if (this.#abort) {
      this.#end(SagaStatus.Failed);
      const why = this.#abort.reason ? `: ${this.#abort.reason}` : '';
      return sagaFailure(
        SagaFailureType.CompensationAborted,
        `An operator aborted the compensation at step '${this.#abort.step}'${why}.`,
        cause,
      );
    }
    if (failures.length > 0) {
      this.#end(SagaStatus.Failed);
      const list = failures.map(({ step, error }) => `${step} (${error.type}: ${error.message})`).join('; ');
      return sagaFailure(
        SagaFailureType.CompensationFailed,
        `${failures.length} compensation(s) failed: ${list}`,
        cause,
        [failures],
      );
    }
    this.#end(SagaStatus.Compensated);
    if (this.#stop?.type === 'WorkflowCancelled') return new CancelledFailure(this.#stop.reason);
    // The Web UI lists a failed workflow by its top-level message: it says the outcome, not "Activity task failed".
    const message = compensatedMessage(
      this.#stoppedBy(cause),
      this.#compensated(CompensationEvent.Succeeded),
      this.#compensated(CompensationEvent.Skipped),
    );
    return sagaFailure(this.#stop?.type ?? SagaFailureType.SagaCompensated, message, cause);
  }

  /** What made the saga compensate: "<step> failed: <type>: <message>", or the cancellation or deadline. */
  #stoppedBy(cause: unknown): string {
    const failed = this.#state.steps.filter((step) => step.status === StepStatus.Failed);
    if (this.#stop) {
      const what = this.#stop.type === SagaFailureType.SagaDeadlineExceeded ? 'the deadline' : 'cancellation';
      const during = failed.length > 0 ? ` during ${failed.map((step) => step.name).join(', ')}` : '';
      return `${what}${during}: ${this.#stop.reason}`;
    }
    const reason = ({ type, message }: StepError) => `${type}: ${message}`;
    if (failed.length === 0) return `the saga failed: ${reason(describeError(cause))}`;
    return failed.map((step) => `${step.name} failed: ${reason(step.error ?? describeError(cause))}`).join('; ');
  }

  /** The steps whose compensation ended so, in the order they ended. */
  #compensated(event: CompensationEvent): string[] {
    return this.#state.compensationLog.filter((entry) => entry.event === event).map((entry) => entry.step);
  }

  /** Runs one compensation to its end under the saga's failure policy; never throws. */
  async #compensateStep(record: StepRecord, failures: { step: string; error: StepError }[]): Promise<void> {
    const compensation: CompensationState = { status: CompensationStatus.Running, attempts: 0, startedAt: now() };
    record.state.compensation = compensation;
    const finish = (status: CompensationStatus, event?: CompensationEvent) => {
      compensation.status = status;
      compensation.finishedAt = now();
      if (event) this.#log(record, event);
      this.#publish(record.name);
    };
    for (;;) {
      if (this.#abort) return finish(CompensationStatus.Failed);
      compensation.attempts += 1;
      compensation.status = CompensationStatus.Running;
      this.#log(record, CompensationEvent.Started);
      this.#publish(record.name);
      try {
        await stepScope.run(this.#scope(record, 'compensation'), () =>
          record.definition.compensate!({
            idempotencyKey: `${this.#key(record)}/compensate`,
            actionKey: this.#key(record),
            result: record.result,
            reason: this.#state.failure ?? { type: 'Unknown', message: 'The saga is compensating.' },
            attempt: compensation.attempts,
          }),
        );
        delete compensation.error;
        return finish(CompensationStatus.Succeeded, CompensationEvent.Succeeded);
      } catch (error) {
        compensation.error = describeError(error);
        this.#log(record, CompensationEvent.Failed, { error: compensation.error });
      }
      const policy = this.#options.onCompensationFailure ?? CompensationFailurePolicy.Retry;
      const escalates = policy === CompensationFailurePolicy.Retry && this.#retriedEnough(compensation.attempts);
      switch (escalates ? CompensationFailurePolicy.Escalate : policy) {
        case CompensationFailurePolicy.Retry:
          compensation.status = CompensationStatus.Retrying;
          this.#publish(record.name);
          await sleep(this.#backoff(compensation.attempts));
          break;
        case CompensationFailurePolicy.Continue:
          failures.push({ step: record.name, error: compensation.error });
          return finish(CompensationStatus.Failed);
        case CompensationFailurePolicy.Escalate: {
          const resolution = await this.#escalate(record, compensation);
          if (resolution.action === ResolutionAction.Skip) {
            return finish(CompensationStatus.Skipped, CompensationEvent.Skipped);
          }
          if (resolution.action === ResolutionAction.Abort) {
            return finish(CompensationStatus.Failed, CompensationEvent.Aborted);
          }
          break;
        }
      }
    }
  }

  /** Parks a failed compensation until an operator resolves it (or aborts the whole compensation). */
  async #escalate(record: StepRecord, compensation: CompensationState): Promise<CompensationResolution> {
    compensation.status = CompensationStatus.NeedsAttention;
    this.#log(record, CompensationEvent.Escalated, { error: compensation.error });
    const resolution = await this.#awaitOperator(record, 'compensation', compensation.error!);
    this.#log(record, CompensationEvent.Resolved, {
      resolution: resolution.reason ? `${resolution.action}: ${resolution.reason}` : resolution.action,
    });
    return resolution;
  }

  /**
   * Lists the step as waiting for an operator (saga status `needs_attention`) until a resolution for it, or an
   * abort, arrives. Waiting adds nothing to the history.
   */
  async #awaitOperator(
    record: StepRecord,
    kind: Escalation['kind'],
    error: StepError,
  ): Promise<CompensationResolution> {
    this.#state.escalations.push({ step: record.name, kind, error, since: now() });
    this.#setStatus(SagaStatus.NeedsAttention, record.name);
    await condition(() => this.#resolutions.has(record.name) || this.#abort !== undefined);
    const resolution = this.#resolutions.get(record.name) ?? this.#abort!;
    this.#resolutions.delete(record.name);
    this.#state.escalations = this.#state.escalations.filter((escalation) => escalation.step !== record.name);
    if (this.#state.escalations.length === 0) {
      this.#setStatus(kind === 'action' ? SagaStatus.Running : SagaStatus.Compensating, record.name);
    }
    return resolution;
  }

  #resolutionRefusal({ step, action }: CompensationResolution): string | undefined {
    const actions: string[] = Object.values(ResolutionAction);
    if (!actions.includes(action)) return `The action must be one of ${actions.join(', ')}; got '${String(action)}'.`;
    if (this.#state.status !== SagaStatus.NeedsAttention) {
      return `The saga is ${this.#state.status}: there is no compensation to resolve.`;
    }
    const waiting = this.#state.escalations.map((escalation) => escalation.step);
    const escalation = this.#state.escalations.find((candidate) => candidate.step === step);
    if (!escalation) {
      return `No compensation of step '${String(step)}' waits for an operator; waiting: ${waiting.join(', ')}.`;
    }
    if (escalation.kind === 'action' && action === ResolutionAction.Skip) {
      return `Step '${step}' runs after the pivot and the saga needs its result: retry it, or abort the saga.`;
    }
    // Two resolutions delivered together both pass the checks above: the first one decides, the second is refused.
    const accepted = this.#abort ?? this.#resolutions.get(step);
    if (accepted) return `The compensation of step '${String(step)}' is already being resolved: ${accepted.action}.`;
    return undefined;
  }

  #acceptResolution(resolution: CompensationResolution): CompensationResolution {
    if (resolution.action === ResolutionAction.Abort) this.#abort = resolution;
    else this.#resolutions.set(resolution.step, resolution);
    return resolution;
  }

  #cancelRefusal(): string | undefined {
    const { status, pivotPassed } = this.#state;
    if (status !== SagaStatus.Running) return `The saga is ${status}: there is nothing left to cancel.`;
    const pivot = this.#state.steps.find((step) => step.pivot)?.name;
    if (pivotPassed) return `The saga has passed its pivot step '${pivot}': it can no longer be undone.`;
    if (this.#pivotInFlight)
      return `The pivot step '${this.#pivotInFlight}' is running: the saga may no longer be undone.`;
    if (this.#stop) return `The saga is already stopping: ${this.#stop.reason}`;
    return undefined;
  }

  #acceptStop(stop: StopRequest): { status: SagaStatus } {
    this.#stop = stop;
    if (!patched(SagaPatch.WaitForCancelledActions)) this.#stoppedAtOnce.reject(new CancelledFailure(stop.reason));
    if (stop.type !== SagaFailureType.SagaDeadlineExceeded) {
      this.#state.cancellation = { requestedAt: now(), reason: stop.reason, outcome: 'accepted' };
    }
    this.#body?.cancel();
    this.#publish();
    return { status: this.#state.status };
  }

  #onWorkflowCancelled(): void {
    const reason = 'The workflow was cancelled.';
    if (this.#state.status !== SagaStatus.Running || this.#stop) return;
    if (this.#state.pivotPassed) return this.#rejectCancellation(reason);
    // A pivot in flight decides: if it succeeds the cancellation is refused, if it fails the saga compensates.
    if (this.#pivotInFlight) {
      this.#stop = { type: 'WorkflowCancelled', reason };
      return;
    }
    this.#acceptStop({ type: 'WorkflowCancelled', reason });
  }

  #rejectCancellation(reason: string): void {
    const pivot = this.#state.steps.find((step) => step.pivot)?.name;
    this.#stop = undefined;
    this.#state.cancellation = {
      requestedAt: now(),
      reason,
      outcome: 'rejected',
      rejection: `the saga has passed its pivot step '${pivot}' and goes on`,
    };
    this.#publish();
  }

  #startDeadline(deadline: NonNullable<SagaOptions['deadline']>): void {
    const timer = CancellationScope.nonCancellable(() => sleep(deadline));
    void timer.then(() => {
      if (this.#state.status !== SagaStatus.Running || this.#state.pivotPassed || this.#pivotInFlight || this.#stop) {
        return;
      }
      this.#acceptStop({
        type: SagaFailureType.SagaDeadlineExceeded,
        reason: `The saga's deadline of ${String(deadline)} passed before its pivot.`,
      });
    });
  }

  /**
   * Where the engine would retry until success (a step after the pivot, a compensation under `retry`), the
   * activities retry without limit: on the server, each attempt adds no history event, so a step that fails a
   * thousand times costs what one that fails once does.
   */
  #scope(record: StepRecord, kind: StepScope['kind']): StepScope {
    const attempt = kind === 'action' ? record.state.attempts : (record.state.compensation?.attempts ?? 1);
    const policy = this.#options.onCompensationFailure ?? CompensationFailurePolicy.Retry;
    const compensationRetry =
      policy === CompensationFailurePolicy.Retry ? untilSuccess : defaultBoundedCompensationRetry;
    let retry: StepScope['retry'];
    if (kind === 'compensation') retry = this.#options.compensationRetry ?? compensationRetry;
    else if (this.#state.pivotPassed) retry = untilSuccess;
    return {
      step: record.name,
      kind,
      attempt,
      calls: 0,
      summary: record.definition.summary,
      activityOptions: record.definition.activityOptions,
      retry,
    };
  }

  /** Whether the engine's own loop has run `retryLimit` times since an operator last decided. */
  #retriedEnough(attempts: number): boolean {
    const limit = this.#options.retryLimit ?? defaultRetryLimit;
    return attempts % limit === 0 && patched(SagaPatch.EscalateAfterRetryLimit);
  }

  #key(record: StepRecord): string {
    return this.idempotencyKeyOf(record.name);
  }

  #backoff(attempt: number): number {
    const backoff: Required<Backoff> = { ...defaultBackoff, ...this.#options.retryBackoff };
    const delay = millisecondsOf(backoff.initialInterval) * backoff.backoffCoefficient ** Math.max(0, attempt - 1);
    return Math.min(delay, millisecondsOf(backoff.maximumInterval));
  }

  #log(record: StepRecord, event: CompensationEvent, extra: { error?: StepError; resolution?: string } = {}): void {
    const attempt = record.state.compensation?.attempts ?? 0;
    this.#state.compensationLog.push({ step: record.name, event, at: now(), attempt, ...extra });
  }

  #setStatus(status: SagaStatus, currentStep?: string): void {
    if (status !== this.#state.status) countSagaReached(status);
    this.#state.status = status;
    this.#publish(currentStep);
  }

  #end(status: SagaStatus): void {
    this.#state.finishedAt = now();
    this.#setStatus(status);
    // Current details and the state are served by a query, so only while a worker polls, and a closed saga's by
    // a replay of its history; the final table and state stay in the memo, which the Web UI and clients read
    // with no worker at all. Behind a patch: sagas that ended without it replay unchanged.
    if (patched(SagaPatch.FinalTableMemo)) {
      upsertMemo({ [sagaTableMemoKey]: renderSagaTable(this.#state), [sagaStateMemoKey]: this.#state });
    }
  }

  /**
   * Mirrors the state into the search attributes (only what changed: each upsert is a history event) and into
   * the Web UI's current details (no event). The first step's upsert carries the initial status with it.
   */
  #publish(currentStep?: string): void {
    if (currentStep) this.#state.currentStep = currentStep;
    const { status } = this.#state;
    const stepChanged = currentStep !== undefined && currentStep !== this.#published.step;
    const statusChanged = status !== this.#published.status && (stepChanged || status !== SagaStatus.Running);
    if ((stepChanged || statusChanged) && this.#options.searchAttributes !== false) {
      upsertSearchAttributes([
        ...(statusChanged ? [{ key: SagaStatusKey, value: status }] : []),
        ...(stepChanged ? [{ key: SagaStepKey, value: currentStep }] : []),
      ]);
      this.#published = { status: statusChanged ? status : this.#published.status, step: this.#state.currentStep };
    }
    setCurrentDetails(renderSagaTable(this.#state));
  }
}

/** A retry policy with no limit on attempts (the SDK sends Infinity as "unlimited"). */
const untilSuccess = { maximumAttempts: Number.POSITIVE_INFINITY };

/** A promise that only ever rejects, when told to; unobserved, its rejection is not an error. */
function rejectable(): { promise: Promise<never>; reject: (reason: Error) => void } {
  let reject: (reason: Error) => void = () => undefined;
  const promise = new Promise<never>((_resolve, rejectWith) => (reject = rejectWith));
  promise.catch(() => undefined);
  return { promise, reject };
}

function now(): string {
  return new Date().toISOString();
}
