/**
 * The engine's decisions, apart from any workflow: whether a request to stop a saga stands in each phase
 * (workflows/saga/phase.ts), the failure type a stopped saga reports, and what follows a failed compensation under
 * each policy (workflows/saga/compensation.ts).
 */
import { decideAfterFailure } from '../../workflows/saga/compensation';
import { SagaFailureType } from '../../workflows/saga/failures';
import { CompensationFailurePolicy } from '../../workflows/saga/options';
import type { StopRequest, StopSituation } from '../../workflows/saga/phase';
import { decideStop, SagaPhase, stopFailureType, StopSource } from '../../workflows/saga/phase';
import { SagaStatus } from '../../workflows/saga/state';

const update: StopRequest = { source: StopSource.CancelUpdate, reason: 'the customer changed their mind' };
const workflowCancellation: StopRequest = { source: StopSource.WorkflowCancellation, reason: 'cancelled in the UI' };
const deadline: StopRequest = { source: StopSource.Deadline, reason: 'the deadline passed' };

const running = (phase: SagaPhase, stop?: StopRequest): StopSituation => ({
  phase,
  status: SagaStatus.Running,
  stop,
  pivot: 'dispatch',
});
const compensating: StopSituation = {
  phase: SagaPhase.Compensating,
  status: SagaStatus.Compensating,
  stop: undefined,
  pivot: 'dispatch',
};
const needsAttention: StopSituation = {
  phase: SagaPhase.NeedsAttention,
  status: SagaStatus.NeedsAttention,
  stop: undefined,
  pivot: 'dispatch',
};
const ended: StopSituation = {
  phase: SagaPhase.Ended,
  status: SagaStatus.Completed,
  stop: undefined,
  pivot: undefined,
};

describe('a stop request', () => {
  it('is accepted before the pivot, whatever it came from', () => {
    for (const request of [update, workflowCancellation, deadline]) {
      expect(decideStop(request, running(SagaPhase.Forward))).toEqual({ verdict: 'accept' });
    }
  });

  it('through the Update is refused, with the reason, while the pivot runs, after it, and once the saga stops', () => {
    expect(decideStop(update, running(SagaPhase.Pivoting))).toEqual({
      verdict: 'refuse',
      reason: "The pivot step 'dispatch' is running: the saga may no longer be undone.",
    });
    expect(decideStop(update, running(SagaPhase.PastPivot))).toEqual({
      verdict: 'refuse',
      reason: "The saga has passed its pivot step 'dispatch': it can no longer be undone.",
    });
    expect(decideStop(update, running(SagaPhase.Forward, deadline))).toEqual({
      verdict: 'refuse',
      reason: 'The saga is already stopping: the deadline passed',
    });
    expect(decideStop(update, compensating)).toEqual({
      verdict: 'refuse',
      reason: 'The saga is compensating: there is nothing left to cancel.',
    });
    expect(decideStop(update, needsAttention)).toMatchObject({ verdict: 'refuse' });
    expect(decideStop(update, ended)).toMatchObject({ verdict: 'refuse' });
  });

  it("from the workflow's own cancellation waits for a running pivot, and is refused after it", () => {
    expect(decideStop(workflowCancellation, running(SagaPhase.Pivoting))).toEqual({ verdict: 'defer' });
    expect(decideStop(workflowCancellation, running(SagaPhase.PastPivot))).toEqual({
      verdict: 'refuse',
      reason: "the saga has passed its pivot step 'dispatch' and goes on",
    });
  });

  it("from the workflow's own cancellation is moot once the saga stops, compensates, waits or has ended", () => {
    for (const situation of [running(SagaPhase.Forward, update), compensating, needsAttention, ended]) {
      expect(decideStop(workflowCancellation, situation)).toEqual({ verdict: 'ignore' });
    }
  });

  it('from the deadline is let pass from the pivot on, and once the saga is stopping', () => {
    for (const situation of [
      running(SagaPhase.Pivoting),
      running(SagaPhase.PastPivot),
      running(SagaPhase.Forward, update),
      compensating,
      needsAttention,
      ended,
    ]) {
      expect(decideStop(deadline, situation)).toEqual({ verdict: 'ignore' });
    }
  });

  it("names the saga's failure from the engine's own vocabulary", () => {
    const vocabulary: string[] = Object.values(SagaFailureType);
    expect(stopFailureType).toEqual({
      [StopSource.WorkflowCancellation]: 'WorkflowCancelled',
      [StopSource.CancelUpdate]: 'SagaCancelled',
      [StopSource.Deadline]: 'SagaDeadlineExceeded',
    });
    for (const type of Object.values(stopFailureType)) expect(vocabulary).toContain(type);
  });
});

describe('after a compensation failed', () => {
  const never = () => false;

  it("follows the saga's policy, retry by default", () => {
    expect(decideAfterFailure({}, 1, never)).toBe(CompensationFailurePolicy.Retry);
    for (const policy of Object.values(CompensationFailurePolicy)) {
      expect(decideAfterFailure({ onCompensationFailure: policy }, 1, never)).toBe(policy);
    }
  });

  it('asks an operator under retry once the engine retried enough', () => {
    expect(decideAfterFailure({}, 10, (attempts) => attempts === 10)).toBe(CompensationFailurePolicy.Escalate);
  });

  it('asks whether the engine retried enough only under retry (the question reads a patch)', () => {
    const retriedEnough = jest.fn(() => true);
    decideAfterFailure({ onCompensationFailure: CompensationFailurePolicy.Continue }, 10, retriedEnough);
    decideAfterFailure({ onCompensationFailure: CompensationFailurePolicy.Escalate }, 10, retriedEnough);
    expect(retriedEnough).not.toHaveBeenCalled();
  });
});
