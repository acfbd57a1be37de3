/**
 * The saga deadline, on Temporal's time-skipping test server: a day passes in milliseconds.
 */
import { randomUUID } from 'node:crypto';
import type { DataConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { sagaStateQuery } from '../workflows/saga';
import { readTestEnv } from './env';
import type { SagaFailure } from './saga-failure-helpers';
import { failureOf } from './saga-failure-helpers';
import { createSagaTestActivities, TestService } from './sagas/activities';
import type { ScriptedSagaInput, scriptedSaga } from './sagas/workflows';
import { startTimeSkippingServer } from './time-skipping';

const day = 24 * 60 * 60 * 1000;

describe('the saga deadline', () => {
  let environment: TestWorkflowEnvironment;
  let dataConverter: DataConverter;
  const service = new TestService();

  beforeAll(async () => {
    ({ environment, dataConverter } = await startTimeSkippingServer());
  });
  afterAll(async () => {
    await environment?.teardown();
  });

  /** Runs one saga to its end on a fresh worker (a worker stops for good after `runUntil`). */
  async function runToEnd(input: ScriptedSagaInput) {
    const taskQueue = `saga-deadline-${randomUUID()}`;
    const worker = await Worker.create({
      connection: environment.nativeConnection,
      dataConverter,
      taskQueue,
      workflowBundle: { codePath: readTestEnv().sagaBundlePath },
      activities: createSagaTestActivities(service),
    });
    return worker.runUntil(async () => {
      const saga = await environment.client.workflow.start<typeof scriptedSaga>('scriptedSaga', {
        taskQueue,
        workflowId: `saga-${randomUUID()}`,
        args: [input],
      });
      let value: string[] | undefined;
      let failure: SagaFailure | undefined;
      try {
        value = await saga.result();
      } catch {
        failure = await failureOf(saga.result());
      }
      return { workflowId: saga.workflowId, value, failure, state: await saga.query(sagaStateQuery) };
    });
  }

  it('compensates when the deadline passes before the pivot', async () => {
    const { workflowId, failure, state } = await runToEnd({
      plan: [{ name: 'reserve' }, { name: 'charge', waitFirst: '2 days' }, { name: 'dispatch', pivot: true }],
      options: { deadline: '1 day' },
    });

    expect(failure).toMatchObject({
      type: 'SagaDeadlineExceeded',
      message:
        "compensated after the deadline during charge: The saga's deadline of 1 day passed before its pivot. " +
        '(undone: charge, reserve)',
    });
    expect(state).toMatchObject({ status: 'compensated', failure: { type: 'SagaDeadlineExceeded' } });
    const lasted = Date.parse(state.finishedAt!) - Date.parse(state.startedAt);
    expect(lasted).toBeGreaterThanOrEqual(day);
    expect(lasted).toBeLessThan(2 * day);
    // The interrupted step is undone too (its outcome is unknown to the saga), then the one before it.
    expect(service.done(workflowId, 'undo')).toEqual(['charge', 'reserve']);
    expect(service.done(workflowId, 'perform')).toEqual(['reserve']);
  });

  it('ignores the deadline once the pivot has passed', async () => {
    const { workflowId, value, state } = await runToEnd({
      plan: [
        { name: 'dispatch', pivot: true },
        { name: 'notify', waitFirst: '2 days', compensation: null },
      ],
      options: { deadline: '1 day' },
    });

    expect(value).toEqual(['perform:dispatch', 'perform:notify']);
    expect(state.status).toBe('completed');
    expect(Date.parse(state.finishedAt!) - Date.parse(state.startedAt)).toBeGreaterThanOrEqual(2 * day);
    expect(service.of(workflowId, 'undo')).toEqual([]);
  });
});
