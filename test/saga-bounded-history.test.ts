/**
 * The saga's history stays bounded however long a step keeps failing, on Temporal's time-skipping test server:
 * transient failures are retried by the server (no history event per attempt), and the engine's own retries of a
 * failure the activity will not retry stop at `retryLimit` runs, when the saga asks an operator.
 */
import { randomUUID } from 'node:crypto';
import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { resolveCompensation } from '../api/saga/client';
import type { SagaState } from '../workflows/saga';
import { sagaStateQuery } from '../workflows/saga';
import { readTestEnv } from './env';
import { eventually } from './http';
import { failureOf } from './saga-failure-helpers';
import { createSagaTestActivities, TestService } from './sagas/activities';
import type { ScriptedSagaInput, scriptedSaga } from './sagas/workflows';
import { startTimeSkippingServer } from './time-skipping';

/**
 * The bound this file holds the engine to: a saga of a few steps whose step or compensation failed any number of
 * times has no more events than this (the same saga with no failure has about 40).
 */
const historyBound = 100;

describe('a saga whose step keeps failing', () => {
  let environment: TestWorkflowEnvironment;
  let dataConverter: DataConverter;
  let worker: Worker;
  let running: Promise<void>;
  const service = new TestService();
  const taskQueue = `saga-bounded-history-${randomUUID()}`;

  beforeAll(async () => {
    ({ environment, dataConverter } = await startTimeSkippingServer());
    worker = await Worker.create({
      connection: environment.nativeConnection,
      dataConverter,
      taskQueue,
      workflowBundle: { codePath: readTestEnv().sagaBundlePath },
      activities: createSagaTestActivities(service),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await environment?.teardown();
  });

  function start(input: ScriptedSagaInput) {
    return environment.client.workflow.start<typeof scriptedSaga>('scriptedSaga', {
      taskQueue,
      workflowId: `saga-${randomUUID()}`,
      args: [input],
    });
  }

  async function historyLength(workflowId: string): Promise<number> {
    const history = await environment.client.workflow.getHandle(workflowId).fetchHistory();
    return history.events?.length ?? 0;
  }

  function stateWhen(workflowId: string, predicate: (state: SagaState) => boolean): Promise<SagaState> {
    return eventually(async () => {
      const state = await environment.client.workflow.getHandle(workflowId).query(sagaStateQuery);
      return predicate(state) ? state : undefined;
    });
  }

  it('after the pivot, a step retried 1,000 times costs the history what one retry does', async () => {
    const plan = (times: number): ScriptedSagaInput => ({
      plan: [
        { name: 'charge' },
        { name: 'dispatch', pivot: true, compensation: null },
        { name: 'confirm', behaviour: { kind: 'failTimes', times }, compensation: null },
      ],
    });
    const once = await start(plan(1));
    const thousand = await start(plan(1000));

    expect(await once.result()).toEqual(['perform:charge', 'perform:dispatch', 'perform:confirm']);
    expect(await thousand.result()).toEqual(['perform:charge', 'perform:dispatch', 'perform:confirm']);
    const failed = service.of(thousand.workflowId, 'perform', 'confirm').filter((e) => e.outcome === 'failed');
    expect(failed).toHaveLength(1000);
    expect(await historyLength(thousand.workflowId)).toBe(await historyLength(once.workflowId));
    expect(await historyLength(thousand.workflowId)).toBeLessThan(historyBound);
  });

  it('a compensation retried 1,000 times costs the history what one retry does', async () => {
    const plan = (times: number): ScriptedSagaInput => ({
      plan: [
        { name: 'reserve', compensation: { kind: 'failTimes', times } },
        { name: 'charge', behaviour: { kind: 'fail', type: 'Declined' } },
      ],
    });
    const once = await start(plan(1));
    const thousand = await start(plan(1000));

    expect((await failureOf(once.result())).causeType).toBe('Declined');
    expect((await failureOf(thousand.result())).causeType).toBe('Declined');
    expect(service.done(thousand.workflowId, 'undo')).toEqual(['reserve']);
    const failed = service.of(thousand.workflowId, 'undo', 'reserve').filter((e) => e.outcome === 'failed');
    expect(failed).toHaveLength(1000);
    expect(await historyLength(thousand.workflowId)).toBe(await historyLength(once.workflowId));
    expect(await historyLength(thousand.workflowId)).toBeLessThan(historyBound);
  });

  it('a step the service keeps refusing after the pivot waits for an operator, adding nothing while it waits', async () => {
    const saga = await start({
      plan: [
        { name: 'dispatch', pivot: true, compensation: null },
        { name: 'confirm', behaviour: { kind: 'failUntilFixed' }, compensation: null },
      ],
      options: { retryLimit: 3 },
    });

    const waiting = await stateWhen(saga.workflowId, (state) => state.status === 'needs_attention');
    expect(waiting.escalations).toEqual([
      {
        step: 'confirm',
        kind: 'action',
        error: expect.objectContaining({ type: 'Broken' }),
        since: expect.any(String),
      },
    ]);
    expect(waiting.steps[1]).toMatchObject({ status: 'needs_attention', attempts: 3 });
    const events = await historyLength(saga.workflowId);
    expect(events).toBeLessThan(historyBound);
    await environment.sleep('30 days');
    expect(await historyLength(saga.workflowId)).toBe(events);

    expect(await resolveCompensation(environment.client, saga.workflowId, { step: 'confirm', action: 'skip' })).toEqual(
      {
        accepted: false,
        reason: "Step 'confirm' runs after the pivot and the saga needs its result: retry it, or abort the saga.",
      },
    );
    service.fix(saga.workflowId, 'confirm');
    const retry = await resolveCompensation(environment.client, saga.workflowId, { step: 'confirm', action: 'retry' });
    expect(retry.accepted).toBe(true);
    expect(await saga.result()).toEqual(['perform:dispatch', 'perform:confirm']);
    const state = await saga.query(sagaStateQuery);
    expect(state).toMatchObject({ status: 'completed', escalations: [] });
    expect(state.steps[1]).toMatchObject({ status: 'succeeded', attempts: 4 });
  });

  it('an operator can stop a saga whose step keeps failing after the pivot: it fails, nothing undone', async () => {
    const saga = await start({
      plan: [
        { name: 'charge' },
        { name: 'dispatch', pivot: true, compensation: null },
        { name: 'confirm', behaviour: { kind: 'failUntilFixed' }, compensation: null },
      ],
      options: { retryLimit: 2 },
    });
    await stateWhen(saga.workflowId, (state) => state.status === 'needs_attention');

    const abort = { step: 'confirm', action: 'abort', reason: 'confirmed by hand' } as const;
    expect((await resolveCompensation(environment.client, saga.workflowId, abort)).accepted).toBe(true);
    expect(await failureOf(saga.result())).toMatchObject({
      type: 'StepAborted',
      message:
        "An operator stopped the saga at step 'confirm', after its pivot, so nothing was undone: confirmed by hand.",
      causeType: 'Broken',
    });
    expect((await saga.query(sagaStateQuery)).status).toBe('failed');
    expect(service.of(saga.workflowId, 'undo')).toEqual([]);
  });

  it('a compensation refused retryLimit times under the retry policy waits for an operator', async () => {
    const saga = await start({
      plan: [
        { name: 'reserve', compensation: { kind: 'failUntilFixed' } },
        { name: 'charge', behaviour: { kind: 'fail', type: 'Declined' } },
      ],
      options: { retryLimit: 3 },
    });

    const waiting = await stateWhen(saga.workflowId, (state) => state.status === 'needs_attention');
    expect(waiting.escalations).toEqual([
      {
        step: 'reserve',
        kind: 'compensation',
        error: expect.objectContaining({ type: 'Broken' }),
        since: expect.any(String),
      },
    ]);
    expect(waiting.steps[0]?.compensation).toMatchObject({ status: 'needs_attention', attempts: 3 });
    service.fix(saga.workflowId, 'reserve');
    const retry = await resolveCompensation(environment.client, saga.workflowId, { step: 'reserve', action: 'retry' });
    expect(retry.accepted).toBe(true);
    expect((await failureOf(saga.result())).causeType).toBe('Declined');
    expect((await saga.query(sagaStateQuery)).status).toBe('compensated');
    expect(await historyLength(saga.workflowId)).toBeLessThan(historyBound);
  });
});
