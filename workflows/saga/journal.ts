/**
 * The saga's journal: every change to the saga's state is recorded here, and only here; observers publish what it
 * recorded (observers.ts: search attributes, the Web UI's current details, the memo, metrics).
 *
 * The saga run says what happened ("the step's action started", "the compensation failed"); the journal writes it
 * into the {@link SagaState} that the `sagaState` query returns, and then, for the happenings the world sees as
 * they happen, lets the observers publish. Which happenings publish, and in which order, is part of the workflow's
 * history (a search attribute upsert is an event), so recorded histories replay only while that stays as it is:
 * a happening that publishes says so in its comment.
 *
 * The journal also holds the saga's {@link SagaPhase}, which the saga's status mirrors.
 */
import type { CompensationResolution } from './definitions';
import type { StopRequest } from './phase';
import { SagaPhase, statusOfPhase, StopSource } from './phase';
import type { CompensationState, Escalation, SagaState, StepError, StepState } from './state';
import { CompensationEvent, CompensationStatus, SagaStatus, StepStatus } from './state';

/** Something that publishes the saga's state as the journal records it; each hook is optional. */
export interface SagaObserver {
  /** The saga started, before anything was published. */
  started?(): void;
  /** The saga's status changed to `status` (published with the happening that changed it). */
  reached?(status: SagaStatus): void;
  /** A happening was recorded; `step`: the step it happened on, if any (the saga's current step from now on). */
  recorded?(state: SagaState, step: string | undefined): void;
  /** The saga ended; its state is final. */
  ended?(state: SagaState): void;
  /** The saga has run for `publishStepAfter` and runs on (search attributes only). */
  runningLong?(state: SagaState): void;
}

export class SagaJournal {
  /** The saga's state: what the `sagaState` query returns. Read it freely; change it through the journal only. */
  readonly state: SagaState;
  readonly #observers: readonly SagaObserver[];
  #phase: SagaPhase = SagaPhase.Forward;

  constructor(sagaId: string, declaredSteps: readonly string[], observers: readonly SagaObserver[]) {
    this.state = {
      sagaId,
      status: SagaStatus.Running,
      steps: declaredSteps.map((name) => ({ name, status: StepStatus.Pending, attempts: 0 })),
      pivotPassed: false,
      startedAt: now(),
      escalations: [],
      compensationLog: [],
    };
    this.#observers = observers;
  }

  get phase(): SagaPhase {
    return this.#phase;
  }

  /** The saga's pivot step, once it reached it. */
  get pivot(): string | undefined {
    return this.state.steps.find((step) => step.pivot)?.name;
  }

  /** The saga's body is about to run. Publishes. */
  started(): void {
    for (const observer of this.#observers) observer.started?.();
    this.#publish();
  }

  /** The saga reached a step: a declared one, or one it lists from now on. */
  stepReached(name: string, { pivot, group }: { pivot?: boolean; group?: string }): StepState {
    let step = this.state.steps.find((candidate) => candidate.name === name);
    if (!step) {
      step = { name, status: StepStatus.Pending, attempts: 0 };
      this.state.steps.push(step);
    }
    if (pivot) step.pivot = true;
    if (group) step.group = group;
    return step;
  }

  /** A step's action starts (again). Publishes, on the step. */
  actionStarted(step: StepState): void {
    step.attempts += 1;
    step.status = StepStatus.Running;
    step.startedAt ??= now();
    delete step.error;
    this.#publish(step.name);
  }

  /** A step's action ended: succeeded, or failed with `error`. Publishes, on the step. */
  actionEnded(step: StepState, error?: StepError): void {
    if (error) {
      step.status = StepStatus.Failed;
      step.error = error;
    } else {
      step.status = StepStatus.Succeeded;
    }
    step.finishedAt = now();
    this.#publish(step.name);
  }

  /** A step after the pivot failed, and will be tried again. Publishes, on the step. */
  actionRetrying(step: StepState): void {
    step.status = StepStatus.Retrying;
    this.#publish(step.name);
  }

  /** A step after the pivot kept failing: it waits for an operator. Publishes, on the step. */
  actionEscalated(step: StepState, error: StepError): void {
    step.status = StepStatus.NeedsAttention;
    this.#escalate(step, 'action', error);
  }

  /** The pivot step starts. */
  pivotStarted(): void {
    this.#phase = SagaPhase.Pivoting;
  }

  /** The pivot step ended: from now on, if it `passed`, nothing is undone. */
  pivotEnded(passed: boolean): void {
    if (passed) this.state.pivotPassed = true;
    // Steps run alongside the pivot (outside `parallel`) may have made the saga compensate meanwhile.
    if (this.#phase === SagaPhase.Pivoting) this.#phase = passed ? SagaPhase.PastPivot : SagaPhase.Forward;
  }

  /** The saga accepted a stop: it compensates. A cancellation is kept in the state, a deadline is not. Publishes. */
  stopAccepted(stop: StopRequest): void {
    if (stop.source !== StopSource.Deadline) {
      this.state.cancellation = { requestedAt: now(), reason: stop.reason, outcome: 'accepted' };
    }
    this.#publish();
  }

  /**
   * A workflow cancellation held while the pivot ran is accepted, since the pivot failed. Not published on its own:
   * the pivot's failure that follows makes the saga compensate, which publishes.
   */
  heldCancellationAccepted(stop: StopRequest): void {
    this.state.cancellation = { requestedAt: now(), reason: stop.reason, outcome: 'accepted' };
  }

  /** The workflow's cancellation was refused: the saga goes on. Publishes. */
  cancellationRefused(stop: StopRequest, rejection: string): void {
    this.state.cancellation = { requestedAt: now(), reason: stop.reason, outcome: 'rejected', rejection };
    this.#publish();
  }

  /** The saga compensates, for `failure`. Publishes. */
  compensating(failure: StepError): void {
    this.state.failure = failure;
    this.#enter(SagaPhase.Compensating);
  }

  /** A step's compensation is about to start. */
  compensationBegan(step: StepState): CompensationState {
    const compensation: CompensationState = { status: CompensationStatus.Running, attempts: 0, startedAt: now() };
    step.compensation = compensation;
    return compensation;
  }

  /** A step's compensation runs (again). Publishes, on the step. */
  compensationAttemptStarted(step: StepState, compensation: CompensationState): void {
    compensation.attempts += 1;
    compensation.status = CompensationStatus.Running;
    this.#log(step, CompensationEvent.Started);
    this.#publish(step.name);
  }

  /** A run of a step's compensation failed. Not published: what the policy decides next publishes. */
  compensationAttemptFailed(step: StepState, compensation: CompensationState, error: StepError): void {
    compensation.error = error;
    this.#log(step, CompensationEvent.Failed, { error });
  }

  /** A step's compensation failed, and will be tried again. Publishes, on the step. */
  compensationRetrying(step: StepState, compensation: CompensationState): void {
    compensation.status = CompensationStatus.Retrying;
    this.#publish(step.name);
  }

  /** A step's compensation failed: it waits for an operator. Publishes, on the step. */
  compensationEscalated(step: StepState, compensation: CompensationState): void {
    compensation.status = CompensationStatus.NeedsAttention;
    this.#log(step, CompensationEvent.Escalated, { error: compensation.error });
    this.#escalate(step, 'compensation', compensation.error!);
  }

  /**
   * An operator decided what waited at `step` (`kind`). When nothing else waits, the saga goes back to what it was
   * doing, and publishes, on the step.
   */
  escalationResolved(step: StepState, kind: Escalation['kind']): void {
    this.state.escalations = this.state.escalations.filter((escalation) => escalation.step !== step.name);
    if (this.state.escalations.length === 0) {
      this.#enter(kind === 'action' ? SagaPhase.PastPivot : SagaPhase.Compensating, step.name);
    }
  }

  /** The compensation log keeps what the operator decided for a step's compensation, and why. */
  compensationResolved(step: StepState, { action, reason }: CompensationResolution): void {
    this.#log(step, CompensationEvent.Resolved, { resolution: reason ? `${action}: ${reason}` : action });
  }

  /**
   * A step's compensation ended, as `status` (a succeeded one keeps no error); `event` for the log, if the ending
   * is one. Publishes, on the step.
   */
  compensationEnded(
    step: StepState,
    compensation: CompensationState,
    status: CompensationStatus,
    event?: CompensationEvent,
  ): void {
    if (status === CompensationStatus.Succeeded) delete compensation.error;
    compensation.status = status;
    compensation.finishedAt = now();
    if (event) this.#log(step, event);
    this.#publish(step.name);
  }

  /** The saga has run for `publishStepAfter` and runs on. Publishes its current step, if it has not yet. */
  runningLong(): void {
    if (this.#phase === SagaPhase.Ended) return;
    for (const observer of this.#observers) observer.runningLong?.(this.state);
  }

  /** The saga ended, as `status`; past its pivot, with the `failure` that ended it. Publishes, then the memo. */
  ended(status: SagaStatus, failure?: StepError): void {
    if (failure) this.state.failure = failure;
    this.state.finishedAt = now();
    this.#phase = SagaPhase.Ended;
    this.#setStatus(status);
    for (const observer of this.#observers) observer.ended?.(this.state);
  }

  #escalate(step: StepState, kind: Escalation['kind'], error: StepError): void {
    this.state.escalations.push({ step: step.name, kind, error, since: now() });
    this.#enter(SagaPhase.NeedsAttention, step.name);
  }

  /** Enters a phase the saga has not ended in. Publishes, on `step` if given. */
  #enter(phase: keyof typeof statusOfPhase, step?: string): void {
    this.#phase = phase;
    this.#setStatus(statusOfPhase[phase], step);
  }

  #setStatus(status: SagaStatus, step?: string): void {
    const changed = status !== this.state.status;
    this.state.status = status;
    if (changed) for (const observer of this.#observers) observer.reached?.(status);
    this.#publish(step);
  }

  #log(step: StepState, event: CompensationEvent, extra: { error?: StepError; resolution?: string } = {}): void {
    const attempt = step.compensation?.attempts ?? 0;
    this.state.compensationLog.push({ step: step.name, event, at: now(), attempt, ...extra });
  }

  #publish(step?: string): void {
    if (step) this.state.currentStep = step;
    for (const observer of this.#observers) observer.recorded?.(this.state, step);
  }
}

function now(): string {
  return new Date().toISOString();
}
