/**
 * Where a saga is, and the one place that decides a request to stop it.
 *
 * Before its pivot a saga can still be undone: a stop (the workflow's own cancellation, the `cancelSaga` Update,
 * the deadline) is accepted, the running step is cancelled, and the saga compensates. While the pivot runs, the
 * pivot decides: the workflow's cancellation waits for it (refused if the pivot succeeds, accepted if it fails),
 * the Update is refused and the deadline is let pass. After the pivot nothing is undone: a stop is refused. Once
 * the saga compensates, waits for an operator or has ended, there is nothing left to stop.
 *
 * {@link decideStop} only decides; the saga run acts on its decision. An operator's `abort` is not decided here:
 * it answers an escalation, so the escalation's rules decide it (operator.ts).
 */
import { SagaFailureType } from './failures';
import { SagaStatus } from './state';

/** What the engine is doing; the saga's status shows it (`running` covers the first three). */
export const SagaPhase = {
  /** Steps run forward; a failure or an accepted stop makes the saga compensate. */
  Forward: 'forward',
  /** The pivot step runs: whether the saga can still be undone depends on how it ends. */
  Pivoting: 'pivoting',
  /** The pivot succeeded: steps are retried forward, and nothing is undone. */
  PastPivot: 'past-pivot',
  /** Completed steps are being undone. */
  Compensating: 'compensating',
  /** A compensation, or a step after the pivot, waits for an operator. */
  NeedsAttention: 'needs-attention',
  /** The saga completed, compensated or failed. */
  Ended: 'ended',
} as const;
export type SagaPhase = (typeof SagaPhase)[keyof typeof SagaPhase];

/** The status a saga shows in each phase but the last (an ended saga shows how it ended). */
export const statusOfPhase = {
  [SagaPhase.Forward]: SagaStatus.Running,
  [SagaPhase.Pivoting]: SagaStatus.Running,
  [SagaPhase.PastPivot]: SagaStatus.Running,
  [SagaPhase.Compensating]: SagaStatus.Compensating,
  [SagaPhase.NeedsAttention]: SagaStatus.NeedsAttention,
} as const satisfies Record<Exclude<SagaPhase, typeof SagaPhase.Ended>, SagaStatus>;

/** Where a request to stop the saga comes from. */
export const StopSource = {
  /** The workflow's own cancellation: the Web UI, the CLI, a client's `cancel()`. */
  WorkflowCancellation: 'workflow-cancellation',
  /** The `cancelSaga` Update. */
  CancelUpdate: 'cancel-update',
  /** The saga's `deadline` passed. */
  Deadline: 'deadline',
} as const;
export type StopSource = (typeof StopSource)[keyof typeof StopSource];

/** A request to stop the saga before its pivot. */
export interface StopRequest {
  source: StopSource;
  /** Why, for the saga's state and failure. */
  reason: string;
}

/** The failure type of a saga that compensated because it was stopped, by where the stop came from. */
export const stopFailureType = {
  [StopSource.WorkflowCancellation]: SagaFailureType.WorkflowCancelled,
  [StopSource.CancelUpdate]: SagaFailureType.SagaCancelled,
  [StopSource.Deadline]: SagaFailureType.SagaDeadlineExceeded,
} as const satisfies Record<StopSource, SagaFailureType>;

/** What {@link decideStop} decided; the caller acts on it. */
export type StopDecision =
  /** The saga stops: its running step is cancelled, and it compensates. */
  | { verdict: 'accept' }
  /** The pivot is running: the request is held, and decided again once the pivot has ended. */
  | { verdict: 'defer' }
  /** The requester is told no, with the reason: the Update is rejected, a workflow cancellation recorded as refused. */
  | { verdict: 'refuse'; reason: string }
  /** The request is moot (the saga is already stopping, or can no longer be stopped): nothing is recorded. */
  | { verdict: 'ignore' };

/** What a stop decision depends on. */
export interface StopSituation {
  phase: SagaPhase;
  /** The saga's status, as a refusal words it. */
  status: SagaStatus;
  /** The stop the saga already accepted, or holds while its pivot runs. */
  stop: StopRequest | undefined;
  /** The saga's pivot step, if it reached one. */
  pivot: string | undefined;
}

const runningPhases: ReadonlySet<SagaPhase> = new Set([SagaPhase.Forward, SagaPhase.Pivoting, SagaPhase.PastPivot]);

/** Decides a request to stop the saga: accept, defer (while the pivot runs), refuse (past the pivot) or ignore. */
export function decideStop(request: StopRequest, { phase, status, stop, pivot }: StopSituation): StopDecision {
  const running = runningPhases.has(phase);
  switch (request.source) {
    case StopSource.CancelUpdate:
      if (!running) return refuse(`The saga is ${status}: there is nothing left to cancel.`);
      if (phase === SagaPhase.PastPivot) {
        return refuse(`The saga has passed its pivot step '${pivot}': it can no longer be undone.`);
      }
      if (phase === SagaPhase.Pivoting) {
        return refuse(`The pivot step '${pivot}' is running: the saga may no longer be undone.`);
      }
      if (stop) return refuse(`The saga is already stopping: ${stop.reason}`);
      return { verdict: 'accept' };
    case StopSource.WorkflowCancellation:
      // Nobody waits for an answer: a moot cancellation is dropped, a refused one recorded in the saga's state.
      if (!running || stop) return { verdict: 'ignore' };
      if (phase === SagaPhase.PastPivot) return refuse(`the saga has passed its pivot step '${pivot}' and goes on`);
      // The pivot decides: if it succeeds the cancellation is refused, if it fails the saga compensates.
      if (phase === SagaPhase.Pivoting) return { verdict: 'defer' };
      return { verdict: 'accept' };
    case StopSource.Deadline:
      return phase === SagaPhase.Forward && !stop ? { verdict: 'accept' } : { verdict: 'ignore' };
  }
}

function refuse(reason: string): StopDecision {
  return { verdict: 'refuse', reason };
}
