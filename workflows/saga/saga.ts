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
 *
 * This file runs the saga's body and steps. Beside it: phase.ts decides whether a stop stands; journal.ts records
 * every change to the saga's state, and observers.ts publishes it; compensation.ts runs a step's compensation
 * under the saga's policy; operator.ts holds what waits for an operator; retry.ts says how the engine retries.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  CancelledFailure,
  CancellationScope,
  condition,
  patched,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { stepScope } from './activities';
import type { CompensationFailure, CompensationRun } from './compensation';
import { compensateStep } from './compensation';
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
import { SagaJournal } from './journal';
import { currentDetailsObserver, finalMemoObserver, metricsObserver, searchAttributesObserver } from './observers';
import { OperatorDesk } from './operator';
import type { Duration } from '@temporalio/common';
import type { SagaOptions } from './options';
import { CompensationOrder, defaultPublishStepAfter, defaultRetryLimit, millisecondsOf } from './options';
import type { StopRequest, StopSituation } from './phase';
import { decideStop, SagaPhase, stopFailureType, StopSource } from './phase';
import { backoffDelay, stepScopeOf } from './retry';
import type { ParallelResults, ParallelStep, SagaContext, StepDefinition } from './saga-context';
import type { SagaState, StepError } from './state';
import { CompensationEvent, SagaStatus, StepStatus } from './state';
import { sagaStartMemoKey, SagaStatusKey } from './search-attributes';
import type { StepRecord } from './step-record';

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

/**
 * One saga's run: its body and steps, the pivot, the stops it accepts, and its compensation. What it knows goes
 * into the journal; whether a stop stands, {@link decideStop} decides; a compensation runs in compensation.ts.
 *
 * Recorded histories depend on the order in which concurrent steps and compensations record and publish, so on
 * every await and async function between them: keep them as they are.
 */
class SagaRun implements SagaContext {
  readonly #options: SagaOptions;
  readonly #journal: SagaJournal;
  /** Whether the saga writes its step only once it runs long (`publishStepAfter`). */
  readonly #deferSteps: boolean;
  readonly #operator: OperatorDesk;
  readonly #compensation: CompensationRun;
  readonly #records = new Map<string, StepRecord>();
  /** Groups of steps whose compensations are registered, in the order they ran. */
  readonly #compensations: StepRecord[][] = [];
  #body: CancellationScope | undefined;
  /** The stop the saga accepted, or a workflow cancellation it holds while its pivot runs. */
  #stop: StopRequest | undefined;
  /** Rejected when a saga without {@link SagaPatch.WaitForCancelledActions} stops: its actions ended at once. */
  readonly #stoppedAtOnce = rejectable();

  constructor(options: SagaOptions) {
    if (options.retryLimit !== undefined && !(Number.isInteger(options.retryLimit) && options.retryLimit > 0)) {
      throw new SagaDefinitionError(`retryLimit must be a positive whole number; got ${options.retryLimit}.`);
    }
    this.#options = options;
    this.#deferSteps = options.searchAttributes !== false && statusWrittenAtStart();
    this.#journal = new SagaJournal(workflowInfo().workflowId, options.steps ?? [], [
      metricsObserver,
      ...(options.searchAttributes === false ? [] : [searchAttributesObserver({ deferSteps: this.#deferSteps })]),
      currentDetailsObserver,
      // A saga its starter marked was started after the memo existed: no patch marker needed to tell.
      finalMemoObserver(() => startedBySagaStarter() || patched(SagaPatch.FinalTableMemo)),
    ]);
    this.#operator = new OperatorDesk(this.#journal);
    this.#compensation = {
      journal: this.#journal,
      operator: this.#operator,
      options,
      idempotencyKeyOf: (step) => this.idempotencyKeyOf(step),
      retriedEnough: (attempts) => this.#retriedEnough(attempts),
    };
    setHandler(sagaStateQuery, () => this.#journal.state);
    setHandler(cancelSagaUpdate, ({ reason }) => this.#acceptStop({ source: StopSource.CancelUpdate, reason }), {
      validator: ({ reason }) => {
        if (typeof reason !== 'string' || !reason.trim()) {
          throw sagaFailure(SagaFailureType.CancelRejected, 'A cancellation needs a reason.');
        }
        const decision = decideStop({ source: StopSource.CancelUpdate, reason }, this.#situation());
        if (decision.verdict === 'refuse') throw sagaFailure(SagaFailureType.CancelRejected, decision.reason);
      },
    });
    setHandler(waitForStepUpdate, ({ step }) => this.#waitForStep(step), {
      validator: ({ step }) => {
        if (!this.#journal.state.steps.some((candidate) => candidate.name === step)) {
          throw sagaFailure(SagaFailureType.UnknownStep, `The saga has no step '${String(step)}'.`);
        }
      },
    });
    setHandler(resolveCompensationUpdate, (resolution: CompensationResolution) => this.#operator.accept(resolution), {
      validator: (resolution: CompensationResolution) => {
        const refusal = this.#operator.refusal(resolution);
        if (refusal) throw sagaFailure(SagaFailureType.ResolutionRejected, refusal);
      },
    });
  }

  async run<T>(body: (saga: SagaContext) => Promise<T>): Promise<T> {
    // The workflow's own cancellation (Web UI, CLI, client) reaches the root scope; the body runs shielded from
    // it, so that the engine decides: compensate before the pivot, refuse after.
    CancellationScope.current().cancelRequested.catch(() =>
      this.#stopRequested({ source: StopSource.WorkflowCancellation, reason: 'The workflow was cancelled.' }),
    );
    if (this.#options.deadline !== undefined) this.#startDeadline(this.#options.deadline);
    this.#journal.started();
    if (this.#deferSteps) this.#watchForLongRun(this.#options.publishStepAfter ?? defaultPublishStepAfter);
    return CancellationScope.nonCancellable(async () => {
      const bodyScope = new CancellationScope();
      this.#body = bodyScope;
      // An Update sent with the start is handled as its handler is set, before the body exists to be cancelled.
      if (this.#stop && patched(SagaPatch.StopBeforeFirstStep)) bodyScope.cancel();
      let definitionError = false;
      try {
        const result = await bodyScope.run(() => body(this));
        // The last action may have ended well after the saga accepted a stop: the stop still stands.
        if (this.#stop && !this.#journal.state.pivotPassed) throw new CancelledFailure(this.#stop.reason);
        this.#journal.ended(SagaStatus.Completed);
        return result;
      } catch (error) {
        definitionError = (error as Error | undefined)?.name === 'SagaDefinitionError';
        if (definitionError) throw error;
        if (this.#journal.state.pivotPassed) {
          this.#journal.ended(SagaStatus.Failed, describeError(error));
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
    const { state } = this.#journal;
    const step = () => state.steps.find((candidate) => candidate.name === name);
    await condition(() => step()?.status === StepStatus.Succeeded || state.status !== SagaStatus.Running);
    if (step()?.status === StepStatus.Succeeded) return state;
    const failure = state.failure ?? { type: 'SagaEnded', message: `The saga ended without step '${name}'.` };
    throw ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable: true });
  }

  async step<T>(name: string, definition: StepDefinition<T>): Promise<T> {
    const record = this.#register(name, definition);
    if (definition.pivot) return (await this.#runPivot(record)) as T;
    if (this.#journal.state.pivotPassed) return (await this.#runForward(record)) as T;
    this.#compensations.push([record]);
    return (await this.#runAction(record)) as T;
  }

  async parallel<const S extends readonly ParallelStep<unknown>[]>(steps: S): Promise<ParallelResults<S>> {
    const group = steps.map((step) => step.name).join(' + ');
    const records = steps.map((step) => this.#register(step.name, step, group));
    const { pivotPassed } = this.#journal.state;
    const run = pivotPassed
      ? (record: StepRecord) => this.#runForward(record)
      : (record: StepRecord) => this.#runAction(record);
    if (!pivotPassed) this.#compensations.push(records);
    const settled = await Promise.allSettled(records.map(run));
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as ParallelResults<S>;
  }

  idempotencyKeyOf(step: string): string {
    return `${this.#journal.state.sagaId}/${step}`;
  }

  #register(name: string, definition: StepDefinition<unknown>, group?: string): StepRecord {
    const { state } = this.#journal;
    if (this.#records.has(name)) throw new SagaDefinitionError(`Step names must be unique: '${name}' ran twice.`);
    if (definition.pivot && state.steps.some((step) => step.pivot)) {
      throw new SagaDefinitionError(`A saga has one pivot step; '${name}' would be the second.`);
    }
    if (state.pivotPassed && definition.compensate) {
      throw new SagaDefinitionError(
        `Step '${name}' runs after the pivot, where nothing is undone: drop its compensation.`,
      );
    }
    const step = this.#journal.stepReached(name, { pivot: definition.pivot, group });
    const record: StepRecord = { name, state: step, definition, armed: true, result: undefined };
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
    this.#journal.actionStarted(state);
    const idempotencyKey = this.idempotencyKeyOf(record.name);
    try {
      const result = await Promise.race([
        stepScope.run(
          stepScopeOf(record, 'action', this.#options, this.#journal.state.pivotPassed, idempotencyKey),
          () => definition.action({ idempotencyKey, attempt: state.attempts }),
        ),
        this.#stoppedAtOnce.promise,
      ]);
      record.result = result;
      this.#journal.actionEnded(state);
      return result;
    } catch (error) {
      if (isBusinessFailure(error)) record.armed = false;
      this.#journal.actionEnded(state, describeError(error));
      throw error;
    }
  }

  async #runPivot(record: StepRecord): Promise<unknown> {
    this.#compensations.push([record]);
    this.#journal.pivotStarted();
    let passed = false;
    try {
      const result = await this.#runAction(record);
      passed = true;
      this.#compensations.length = 0;
      return result;
    } finally {
      this.#journal.pivotEnded(passed);
      this.#decideHeldStop(passed);
    }
  }

  /**
   * After the pivot there is no way back: the step is tried again, with backoff, until it succeeds. Its activities
   * retry without limit (see {@link stepScopeOf}); each failure they do not retry costs a run of this loop, and
   * every `retryLimit` runs an operator decides: retry again, or stop the saga (`StepAborted`, nothing undone).
   */
  async #runForward(record: StepRecord): Promise<unknown> {
    for (;;) {
      try {
        return await this.#runAction(record);
      } catch (error) {
        // An operator stopped the saga at a sibling of a parallel group: this step stops trying too.
        if (this.#operator.abort) throw this.#stepAborted(record, this.#operator.abort, error);
        if (!this.#retriedEnough(record.state.attempts)) {
          this.#journal.actionRetrying(record.state);
          await sleep(backoffDelay(record.state.attempts, this.#options.retryBackoff));
          continue;
        }
        this.#journal.actionEscalated(record.state, describeError(error));
        const resolution = await this.#operator.decisionOn(record.state, 'action');
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
    const stop = this.#stop;
    this.#journal.compensating(
      stop ? { type: stopFailureType[stop.source], message: stop.reason } : describeError(cause),
    );
    const groups = this.#compensations
      .splice(0)
      .reverse()
      .map((group) => group.filter((record) => record.armed && typeof record.definition.compensate === 'function'))
      .filter((group) => group.length > 0);
    const failures: CompensationFailure[] = [];
    const undo = (records: StepRecord[]) =>
      Promise.all(records.map((record) => compensateStep(record, this.#compensation, failures)));
    if (this.#options.compensationOrder === CompensationOrder.Parallel) {
      await undo(groups.flat());
    } else {
      for (const group of groups) {
        if (this.#operator.abort) break;
        await undo(group);
      }
    }
    return this.#end(cause, failures);
  }

  /** Ends a saga that compensated, and returns the error it ends with. */
  #end(cause: unknown, failures: CompensationFailure[]): Error {
    const abort = this.#operator.abort;
    if (abort) {
      this.#journal.ended(SagaStatus.Failed);
      const why = abort.reason ? `: ${abort.reason}` : '';
      return sagaFailure(
        SagaFailureType.CompensationAborted,
        `An operator aborted the compensation at step '${abort.step}'${why}.`,
        cause,
      );
    }
    if (failures.length > 0) {
      this.#journal.ended(SagaStatus.Failed);
      const list = failures.map(({ step, error }) => `${step} (${error.type}: ${error.message})`).join('; ');
      return sagaFailure(
        SagaFailureType.CompensationFailed,
        `${failures.length} compensation(s) failed: ${list}`,
        cause,
        [failures],
      );
    }
    this.#journal.ended(SagaStatus.Compensated);
    if (this.#stop?.source === StopSource.WorkflowCancellation) return new CancelledFailure(this.#stop.reason);
    // The Web UI lists a failed workflow by its top-level message: it says the outcome, not "Activity task failed".
    const message = compensatedMessage(
      this.#stoppedBy(cause),
      this.#compensated(CompensationEvent.Succeeded),
      this.#compensated(CompensationEvent.Skipped),
    );
    const type = this.#stop ? stopFailureType[this.#stop.source] : SagaFailureType.SagaCompensated;
    return sagaFailure(type, message, cause);
  }

  /** What made the saga compensate: "<step> failed: <type>: <message>", or the cancellation or deadline. */
  #stoppedBy(cause: unknown): string {
    const failed = this.#journal.state.steps.filter((step) => step.status === StepStatus.Failed);
    if (this.#stop) {
      const what = this.#stop.source === StopSource.Deadline ? 'the deadline' : 'cancellation';
      const during = failed.length > 0 ? ` during ${failed.map((step) => step.name).join(', ')}` : '';
      return `${what}${during}: ${this.#stop.reason}`;
    }
    const reason = ({ type, message }: StepError) => `${type}: ${message}`;
    if (failed.length === 0) return `the saga failed: ${reason(describeError(cause))}`;
    return failed.map((step) => `${step.name} failed: ${reason(step.error ?? describeError(cause))}`).join('; ');
  }

  /** The steps whose compensation ended so, in the order they ended. */
  #compensated(event: CompensationEvent): string[] {
    return this.#journal.state.compensationLog.filter((entry) => entry.event === event).map((entry) => entry.step);
  }

  /** What a stop decision depends on, now. */
  #situation(): StopSituation {
    const { phase, state, pivot } = this.#journal;
    return { phase, status: state.status, stop: this.#stop, pivot };
  }

  /** Decides a stop request that no one waits to hear about (the workflow's cancellation, the deadline); acts on it. */
  #stopRequested(request: StopRequest): void {
    const decision = decideStop(request, this.#situation());
    if (decision.verdict === 'accept') this.#acceptStop(request);
    else if (decision.verdict === 'defer') this.#stop = request;
    else if (decision.verdict === 'refuse') this.#refuseStop(request, decision.reason);
  }

  /** Stops the saga: cancels its running step, so that it compensates. */
  #acceptStop(stop: StopRequest): { status: SagaStatus } {
    this.#stop = stop;
    if (!patched(SagaPatch.WaitForCancelledActions)) this.#stoppedAtOnce.reject(new CancelledFailure(stop.reason));
    this.#body?.cancel();
    this.#journal.stopAccepted(stop);
    return { status: this.#journal.state.status };
  }

  /** Records a refused workflow cancellation: the saga goes on. */
  #refuseStop(stop: StopRequest, rejection: string): void {
    this.#stop = undefined;
    this.#journal.cancellationRefused(stop, rejection);
  }

  /**
   * A workflow cancellation held while the pivot ran is decided again, as if it arrived now that the pivot ended:
   * refused if the pivot passed; accepted if it failed, and then the pivot's failure already stops the saga.
   */
  #decideHeldStop(passed: boolean): void {
    const held = this.#stop?.source === StopSource.WorkflowCancellation ? this.#stop : undefined;
    if (!held) return;
    const now: StopSituation = {
      phase: passed ? SagaPhase.PastPivot : SagaPhase.Forward,
      status: SagaStatus.Running,
      stop: undefined,
      pivot: this.#journal.pivot,
    };
    const decision = decideStop(held, now);
    if (decision.verdict === 'refuse') this.#refuseStop(held, decision.reason);
    else this.#journal.heldCancellationAccepted(held);
  }

  #startDeadline(deadline: NonNullable<SagaOptions['deadline']>): void {
    const timer = CancellationScope.nonCancellable(() => sleep(deadline));
    void timer.then(() =>
      this.#stopRequested({
        source: StopSource.Deadline,
        reason: `The saga's deadline of ${String(deadline)} passed before its pivot.`,
      }),
    );
  }

  /** Tells the journal when the saga has run for `after`: then its step is worth writing (`publishStepAfter`). */
  #watchForLongRun(after: Duration): void {
    if (millisecondsOf(after) === 0) {
      this.#journal.runningLong();
      return;
    }
    // Left pending when the saga ends first: no event for it, and no workflow task when it fires.
    void CancellationScope.nonCancellable(() => sleep(after)).then(() => this.#journal.runningLong());
  }

  /** Whether the engine's own loop has run `retryLimit` times since an operator last decided. */
  #retriedEnough(attempts: number): boolean {
    const limit = this.#options.retryLimit ?? defaultRetryLimit;
    return attempts % limit === 0 && patched(SagaPatch.EscalateAfterRetryLimit);
  }
}

/**
 * The engine version the saga's starter wrote with the start (`sagaStartMemoKey`: what the saga may take for
 * granted), or 0 when a plain client started it. Read from the start event, so its replay reads the same.
 */
export function sagaStartVersionOf(): number {
  const version = workflowInfo().memo?.[sagaStartMemoKey];
  return typeof version === 'number' && Number.isInteger(version) ? version : 0;
}

/** Whether `startSaga` started the saga with what version 2 says (status at start, step written late, no marker). */
function startedBySagaStarter(): boolean {
  return sagaStartVersionOf() >= 2;
}

/**
 * Whether `startSaga` started the saga with its `SagaStatus` written, so that it publishes its step as
 * `publishStepAfter` says. Asked as the saga starts, before any upsert: the attributes are those of the start.
 */
function statusWrittenAtStart(): boolean {
  return startedBySagaStarter() && workflowInfo().typedSearchAttributes.get(SagaStatusKey) === SagaStatus.Running;
}

/** A promise that only ever rejects, when told to; unobserved, its rejection is not an error. */
function rejectable(): { promise: Promise<never>; reject: (reason: Error) => void } {
  let reject: (reason: Error) => void = () => undefined;
  const promise = new Promise<never>((_resolve, rejectWith) => (reject = rejectWith));
  promise.catch(() => undefined);
  return { promise, reject };
}
