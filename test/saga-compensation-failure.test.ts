/**
 * What the engine does when a compensation itself fails, under each policy: retry until it succeeds, continue
 * and report every failure, or escalate to an operator who retries, skips or aborts.
 */
import { cancelSaga, resolveCompensation } from '../api/saga/client';
import { eventually } from './http';
import { historyOf } from './history';
import type { SagaHarness, TestSaga } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import { failureOf } from './saga-failure-helpers';

describe('compensation failures', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  it('retries a failing compensation until it succeeds (the default policy)', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'reserve', compensation: { kind: 'failTimes', times: 2 } }, // transient: Temporal retries it
        { name: 'charge', compensation: { kind: 'failUntilFixed' } }, // refused: the engine retries it
        { name: 'ship', behaviour: { kind: 'fail', type: 'Undeliverable' } },
      ],
    });

    // Fixed once two of the engine's attempts have failed for certain (the service saw them fail): the third succeeds.
    const chargeUndoFailures = () =>
      bench.service.of(saga.workflowId, 'undo', 'charge').filter((effect) => effect.outcome === 'failed').length;
    await eventually(async () => (chargeUndoFailures() >= 2 ? true : undefined));
    const stuck = await bench.stateWhen(saga, (state) => (state.steps[1]?.compensation?.attempts ?? 0) >= 2);
    expect(stuck.status).toBe('compensating');
    expect(stuck.steps[1]?.compensation?.error?.type).toBe('Broken');
    bench.service.fix(saga.workflowId, 'charge');

    expect((await failureOf(saga.result())).causeType).toBe('Undeliverable');
    const state = await bench.stateWhen(saga, () => true);
    expect(state.status).toBe('compensated');
    expect(state.steps[1]?.compensation).toMatchObject({ status: 'succeeded' });
    expect(state.steps[1]?.compensation?.attempts).toBeGreaterThanOrEqual(3);
    const reserveUndo = bench.service.of(saga.workflowId, 'undo', 'reserve');
    expect(reserveUndo.map((effect) => `${effect.attempt}:${effect.outcome}`)).toEqual([
      '1:started',
      '1:failed',
      '2:started',
      '2:failed',
      '3:started',
      '3:done',
    ]);
  });

  it('under continue, runs every compensation and reports each one that failed', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'refund', compensation: { kind: 'fail', type: 'RefundFailed' } },
        { name: 'release', compensation: { kind: 'fail', type: 'ReleaseFailed' } },
        { name: 'label' },
        { name: 'ship', behaviour: { kind: 'fail', type: 'Declined' } },
      ],
      options: { onCompensationFailure: 'continue' },
    });

    const failure = await failureOf(saga.result());
    expect(failure).toMatchObject({ type: 'CompensationFailed', causeType: 'Declined' });
    expect(failure.details?.[0]).toEqual([
      { step: 'release', error: expect.objectContaining({ type: 'ReleaseFailed' }) },
      { step: 'refund', error: expect.objectContaining({ type: 'RefundFailed' }) },
    ]);
    expect(
      bench.service
        .of(saga.workflowId, 'undo')
        .filter((e) => e.outcome === 'started')
        .map((e) => e.step),
    ).toEqual(['label', 'release', 'refund']);
    const state = await bench.stateWhen(saga, () => true);
    expect(state.status).toBe('failed');
    expect(state.steps.map((step) => step.compensation?.status)).toEqual(['failed', 'failed', 'succeeded', undefined]);
  });

  describe('under escalate', () => {
    async function escalatedSaga(): Promise<TestSaga> {
      const saga = await bench.start({
        plan: [
          { name: 'charge', compensation: { kind: 'failUntilFixed' } },
          { name: 'reserve' },
          { name: 'ship', behaviour: { kind: 'fail', type: 'Declined' } },
        ],
        options: {
          onCompensationFailure: 'escalate',
          compensationRetry: { maximumAttempts: 2, initialInterval: '50ms' },
        },
      });
      const state = await bench.stateWhen(saga, (candidate) => candidate.status === 'needs_attention');
      expect(state.escalations).toEqual([
        {
          step: 'charge',
          kind: 'compensation',
          error: expect.objectContaining({ type: 'Broken' }),
          since: expect.any(String),
        },
      ]);
      expect(state.steps.map((step) => step.compensation?.status)).toEqual(['needs_attention', 'succeeded', undefined]);
      return saga;
    }

    it('parks the saga in needs_attention, findable through visibility, and refuses invalid resolutions untouched', async () => {
      const saga = await escalatedSaga();
      const found = await eventually(async () => {
        const ids: string[] = [];
        const query = `SagaStatus = 'needs_attention' AND WorkflowId = '${saga.workflowId}'`;
        for await (const execution of bench.client.workflow.list({ query })) ids.push(execution.workflowId);
        return ids.length ? ids : undefined;
      });
      expect(found).toEqual([saga.workflowId]);

      const eventsBefore = (await historyOf(saga)).length;
      expect(await resolveCompensation(bench.client, saga.workflowId, { step: 'reserve', action: 'retry' })).toEqual({
        accepted: false,
        reason: "No compensation of step 'reserve' waits for an operator; waiting: charge.",
      });
      const badAction = await resolveCompensation(bench.client, saga.workflowId, {
        step: 'charge',
        action: 'explode' as 'retry',
      });
      expect(badAction).toMatchObject({
        accepted: false,
        reason: expect.stringContaining('must be one of retry, skip, abort'),
      });
      expect(await cancelSaga(bench.client, saga.workflowId, 'changed my mind')).toEqual({
        accepted: false,
        reason: 'The saga is needs_attention: there is nothing left to cancel.',
      });
      expect((await historyOf(saga)).length).toBe(eventsBefore);
      expect((await bench.stateWhen(saga, () => true)).status).toBe('needs_attention');

      await resolveCompensation(bench.client, saga.workflowId, { step: 'charge', action: 'skip' });
      await failureOf(saga.result());
    });

    it('accepts one of two resolutions sent at once, and refuses the other with the reason', async () => {
      const saga = await escalatedSaga();
      const outcomes = await Promise.all([
        resolveCompensation(bench.client, saga.workflowId, { step: 'charge', action: 'skip', reason: 'first' }),
        resolveCompensation(bench.client, saga.workflowId, { step: 'charge', action: 'abort', reason: 'second' }),
      ]);
      const accepted = outcomes.filter((outcome) => outcome.accepted);
      expect(accepted).toHaveLength(1);
      expect(outcomes.find((outcome) => !outcome.accepted)).toMatchObject({
        accepted: false,
        reason: expect.any(String),
      });

      // The saga ends as the accepted resolution says, and its log records that one alone.
      const failure = await failureOf(saga.result());
      const skipped = accepted[0]?.accepted && accepted[0].resolution.action === 'skip';
      expect(failure.type).toBe(skipped ? 'SagaCompensated' : 'CompensationAborted');
      const state = await bench.stateWhen(saga, () => true);
      expect(state.compensationLog.filter((entry) => entry.event === 'resolved')).toHaveLength(1);
    });

    it('retry: runs the compensation again and, once it succeeds, ends compensated', async () => {
      const saga = await escalatedSaga();
      bench.service.fix(saga.workflowId, 'charge');
      expect(
        await resolveCompensation(bench.client, saga.workflowId, { step: 'charge', action: 'retry', reason: 'fixed' }),
      ).toEqual({ accepted: true, resolution: { step: 'charge', action: 'retry', reason: 'fixed' } });

      expect((await failureOf(saga.result())).causeType).toBe('Declined');
      const state = await bench.stateWhen(saga, () => true);
      expect(state.status).toBe('compensated');
      expect(state.escalations).toEqual([]);
      expect(state.steps[0]?.compensation).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(state.compensationLog.filter((entry) => entry.step === 'charge').map((entry) => entry.event)).toEqual([
        'started',
        'failed',
        'escalated',
        'resolved',
        'started',
        'succeeded',
      ]);
    });

    it('skip: records the compensation as skipped and ends compensated', async () => {
      const saga = await escalatedSaga();
      await resolveCompensation(bench.client, saga.workflowId, {
        step: 'charge',
        action: 'skip',
        reason: 'refunded by hand',
      });

      expect(await failureOf(saga.result())).toMatchObject({
        type: 'SagaCompensated',
        message: 'compensated after ship failed: Declined: perform ship refused (undone: reserve; skipped: charge)',
        causeType: 'Declined',
      });
      const state = await bench.stateWhen(saga, () => true);
      expect(state.status).toBe('compensated');
      expect(state.steps[0]?.compensation?.status).toBe('skipped');
      expect(state.compensationLog).toContainEqual(
        expect.objectContaining({ step: 'charge', event: 'resolved', resolution: 'skip: refunded by hand' }),
      );
      expect(bench.service.done(saga.workflowId, 'undo')).toEqual(['reserve']);
    });

    it('abort: stops compensating and ends failed with CompensationAborted', async () => {
      const saga = await escalatedSaga();
      await resolveCompensation(bench.client, saga.workflowId, {
        step: 'charge',
        action: 'abort',
        reason: 'ticket #42',
      });

      const failure = await failureOf(saga.result());
      expect(failure).toMatchObject({ type: 'CompensationAborted', causeType: 'Declined' });
      expect(failure.message).toContain('ticket #42');
      const state = await bench.stateWhen(saga, () => true);
      expect(state.status).toBe('failed');
      expect(state.steps[0]?.compensation?.status).toBe('failed');
    });
  });
});
