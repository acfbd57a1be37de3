/**
 * The pivot (the point of no return) and cancellation: before the pivot a cancellation compensates; during
 * compensation it changes nothing; after the pivot it is refused and failed steps are retried forward.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowFailedError } from '@temporalio/client';
import { cancelSagaUpdate } from '../workflows/saga';
import { cancelSaga } from '../api/saga/client';
import { activityEvents, historyOf } from './history';
import type { SagaHarness, TestSaga } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import { failureOf } from './saga-failure-helpers';
import type { scriptedSaga } from './sagas/workflows';

describe('pivot and cancellation', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  /** A saga whose `charge` step is running, before its pivot `dispatch`. */
  async function sagaBlockedBeforeItsPivot(): Promise<TestSaga> {
    const saga = await bench.start({
      plan: [
        { name: 'reserve' },
        { name: 'charge', behaviour: { kind: 'waitForRelease' } },
        { name: 'dispatch', pivot: true },
      ],
    });
    await bench.stateWhen(saga, (state) => state.steps[1]?.status === 'running');
    return saga;
  }

  it('after the pivot, retries a failing step forward until it succeeds and undoes nothing', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'charge' },
        { name: 'dispatch', pivot: true, compensation: null },
        { name: 'confirm', behaviour: { kind: 'failUntilFixed' }, compensation: null },
      ],
    });

    // Between two attempts, so that the fix can only reach a later one.
    const retrying = await bench.stateWhen(
      saga,
      (state) => (state.steps[2]?.attempts ?? 0) >= 2 && state.steps[2]?.status === 'retrying',
    );
    expect(retrying).toMatchObject({ status: 'running', pivotPassed: true, currentStep: 'confirm' });
    expect(retrying.steps[1]).toMatchObject({ name: 'dispatch', pivot: true, status: 'succeeded' });
    bench.service.fix(saga.workflowId, 'confirm');

    expect(await saga.result()).toEqual(['perform:charge', 'perform:dispatch', 'perform:confirm']);
    expect(bench.service.of(saga.workflowId, 'undo')).toEqual([]);
    const state = await bench.stateWhen(saga, () => true);
    expect(state.status).toBe('completed');
    expect(state.steps[2]?.attempts).toBeGreaterThanOrEqual(3);
    const confirmKeys = new Set(bench.service.of(saga.workflowId, 'perform', 'confirm').map((effect) => effect.key));
    expect([...confirmKeys]).toEqual([`${saga.workflowId}/confirm`]);
  });

  it('compensates when the pivot step itself fails', async () => {
    const saga = await bench.start({
      plan: [{ name: 'charge' }, { name: 'dispatch', pivot: true, behaviour: { kind: 'fail', type: 'Undeliverable' } }],
    });
    expect((await failureOf(saga.result())).causeType).toBe('Undeliverable');
    expect(bench.service.done(saga.workflowId, 'undo')).toEqual(['charge']);
    expect((await bench.stateWhen(saga, () => true)).status).toBe('compensated');
  });

  it('a cancellation before the pivot cancels the running step and compensates', async () => {
    const saga = await sagaBlockedBeforeItsPivot();

    expect(await cancelSaga(bench.client, saga.workflowId, 'customer changed their mind')).toEqual({
      accepted: true,
      status: 'running',
    });
    // Asked again (a client that lost the first answer): the cancellation stands, and is accepted again.
    expect(await cancelSaga(bench.client, saga.workflowId, 'customer changed their mind')).toMatchObject({
      accepted: true,
    });
    const failure = await failureOf(saga.result());
    expect(failure).toMatchObject({
      type: 'SagaCancelled',
      message: 'compensated after cancellation during charge: customer changed their mind (undone: charge, reserve)',
    });
    expect(await cancelSaga(bench.client, saga.workflowId, 'customer changed their mind')).toEqual({
      accepted: true,
      status: 'compensated',
    });
    bench.service.release(saga.workflowId, 'charge');

    // The cancelled charge may have gone through, so it is undone too; the pivot never ran.
    expect(bench.service.done(saga.workflowId, 'undo')).toEqual(['charge', 'reserve']);
    const state = await bench.stateWhen(saga, () => true);
    expect(state).toMatchObject({
      status: 'compensated',
      failure: { type: 'SagaCancelled' },
      cancellation: { outcome: 'accepted', reason: 'customer changed their mind' },
    });
    expect(state.steps[2]?.status).toBe('pending');
  });

  it('a cancellation delivered with the first workflow task stops the saga before its first step', async () => {
    const start = new WithStartWorkflowOperation<typeof scriptedSaga>('scriptedSaga', {
      taskQueue: bench.taskQueue,
      workflowId: `saga-${randomUUID()}`,
      workflowIdConflictPolicy: 'FAIL',
      args: [{ plan: [{ name: 'reserve' }, { name: 'charge' }, { name: 'dispatch', pivot: true }] }],
    });
    // Update-with-start: the cancellation reaches the workflow in the same task as its start.
    const accepted = await bench.client.workflow.executeUpdateWithStart(cancelSagaUpdate, {
      args: [{ reason: 'changed my mind at once' }],
      startWorkflowOperation: start,
    });
    expect(accepted).toEqual({ status: 'running' });
    const saga = await start.workflowHandle();

    expect(await failureOf(saga.result())).toMatchObject({ type: 'SagaCancelled' });
    expect(bench.service.done(saga.workflowId, 'perform')).toEqual([]);
    const state = await bench.stateWhen(saga, () => true);
    expect(state).toMatchObject({ status: 'compensated', pivotPassed: false });
    expect(state.steps.map((step) => step.status)).toEqual(['pending', 'pending', 'pending']);
  });

  it('the workflow cancelled from outside (Web UI, CLI) before the pivot compensates and ends cancelled', async () => {
    const saga = await sagaBlockedBeforeItsPivot();

    await saga.cancel();
    const error = await saga.result().catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause?.name).toBe('CancelledFailure');
    bench.service.release(saga.workflowId, 'charge');

    expect((await saga.describe()).status.name).toBe('CANCELLED');
    expect(bench.service.done(saga.workflowId, 'undo')).toEqual(['charge', 'reserve']);
    expect((await bench.stateWhen(saga, () => true)).status).toBe('compensated');
  });

  it('a cancellation that arrives during compensation does not interrupt it', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'reserve', compensation: { kind: 'waitForRelease' } },
        { name: 'charge', behaviour: { kind: 'fail', type: 'PaymentDeclined' } },
      ],
    });
    await bench.stateWhen(saga, (state) => state.steps[0]?.compensation?.status === 'running');

    await saga.cancel();
    expect(await cancelSaga(bench.client, saga.workflowId, 'stop it')).toEqual({
      accepted: false,
      reason: 'The saga is compensating: there is nothing left to cancel.',
    });
    bench.service.release(saga.workflowId, 'reserve');

    expect((await failureOf(saga.result())).causeType).toBe('PaymentDeclined');
    expect(bench.service.done(saga.workflowId, 'undo')).toEqual(['reserve']);
    const kinds = activityEvents(await historyOf(saga)).map((event) => event.kind);
    expect(kinds).not.toContain('cancelRequested');
    expect((await bench.stateWhen(saga, () => true)).status).toBe('compensated');
  });

  it('refuses a cancellation after the pivot, with the reason, and the saga goes on to complete', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'charge' },
        { name: 'dispatch', pivot: true, compensation: null },
        { name: 'notify', behaviour: { kind: 'waitForRelease' }, compensation: null },
      ],
    });
    await bench.stateWhen(saga, (state) => state.steps[2]?.status === 'running');

    expect(await cancelSaga(bench.client, saga.workflowId, 'too late?')).toEqual({
      accepted: false,
      reason: "The saga has passed its pivot step 'dispatch': it can no longer be undone.",
    });
    await saga.cancel();
    const refused = await bench.stateWhen(saga, (state) => state.cancellation !== undefined);
    expect(refused.cancellation).toMatchObject({
      outcome: 'rejected',
      rejection: "the saga has passed its pivot step 'dispatch' and goes on",
    });
    bench.service.release(saga.workflowId, 'notify');

    expect(await saga.result()).toEqual(['perform:charge', 'perform:dispatch', 'perform:notify']);
    expect(bench.service.of(saga.workflowId, 'undo')).toEqual([]);
    expect((await bench.stateWhen(saga, () => true)).status).toBe('completed');
  });
});
