/** The framework's client helpers, against the real server. */
import { randomUUID } from 'node:crypto';
import { getSagaState, readSagaState, startSaga } from '../api/saga/client';
import { sagaHandle } from '../api/saga/handle';
import { SagaStatusKey } from '../workflows/saga';
import { eventually } from './http';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import type { scriptedSaga } from './sagas/workflows';

describe('saga client helpers', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  it('starts a saga once per business key: a duplicate start, running or ended, returns the same run', async () => {
    const workflowId = `saga-${randomUUID()}`;
    const start = () =>
      startSaga<typeof scriptedSaga>(bench.client, 'scriptedSaga', {
        workflowId,
        taskQueue: bench.taskQueue,
        args: [{ plan: [{ name: 'hold', behaviour: { kind: 'waitForRelease' } }] }],
        summary: 'A saga started twice',
      });

    const first = await start();
    const firstRunId = (await first.describe()).runId;
    const whileRunning = await start();
    expect((await whileRunning.describe()).runId).toBe(firstRunId);
    expect((await first.describe()).typedSearchAttributes.get(SagaStatusKey)).toBe('running');

    bench.service.release(workflowId, 'hold');
    expect(await first.result()).toEqual(['perform:hold']);
    const afterEnd = await start();
    expect((await afterEnd.describe()).runId).toBe(firstRunId);
    expect(bench.service.done(workflowId, 'perform')).toEqual(['hold']);
    expect((await getSagaState(bench.client, workflowId)).status).toBe('completed');
    expect(await readSagaState(bench.client, workflowId)).toEqual({
      stale: false,
      state: expect.objectContaining({ status: 'completed' }),
    });
  });

  it('starts a saga run without search attributes without them, and its handle waits, reads, refuses and tells', async () => {
    const workflowId = `saga-${randomUUID()}`;
    await startSaga<typeof scriptedSaga>(bench.client, 'scriptedSaga', {
      workflowId,
      taskQueue: bench.taskQueue,
      args: [
        {
          plan: [{ name: 'hold', behaviour: { kind: 'waitForRelease' } }, { name: 'after' }],
          options: { searchAttributes: false },
        },
      ],
      sagaSearchAttributes: false,
    });
    const saga = sagaHandle<typeof scriptedSaga, 'hold' | 'after'>(bench.client, workflowId);
    expect((await saga.workflow.describe()).typedSearchAttributes.get(SagaStatusKey)).toBeUndefined();

    expect(await saga.waitForStep('hold', { timeoutMs: 300 })).toEqual({ outcome: 'pending' });
    bench.service.release(workflowId, 'hold');
    expect(await saga.waitForStep('after', { timeoutMs: 10_000 })).toMatchObject({
      outcome: 'reached',
      state: {
        steps: [
          { name: 'hold', status: 'succeeded' },
          { name: 'after', status: 'succeeded' },
        ],
      },
    });
    expect(await saga.result()).toEqual(['perform:hold', 'perform:after']);
    expect((await saga.state()).status).toBe('completed');
    // Nothing published a status: not at the start, not on the way.
    expect((await saga.history()).timeline.filter((entry) => entry.type === 'status')).toEqual([]);
    expect(await saga.cancel('too late')).toEqual({ accepted: false, reason: expect.stringContaining('completed') });
    // Ended: the answer comes from the final state.
    expect(await saga.waitForStep('hold', { timeoutMs: 1_000 })).toMatchObject({ outcome: 'reached' });
  });

  it('reads a running saga whose worker is gone from its search attributes, marked stale, within the bound', async () => {
    const workflowId = `saga-${randomUUID()}`;
    const gone = await startSagaHarness();
    try {
      await startSaga<typeof scriptedSaga>(bench.client, 'scriptedSaga', {
        workflowId,
        taskQueue: gone.taskQueue,
        args: [
          {
            plan: [{ name: 'prepare' }, { name: 'hold', behaviour: { kind: 'waitForRelease' } }],
            // Every step is written as it starts: nothing waits for the saga to have run long.
            options: { publishStepAfter: 0 },
          },
        ],
      });
      // While its worker runs, the saga answers for itself.
      await eventually(async () => {
        const read = await readSagaState(bench.client, workflowId);
        return !read.stale && read.state.steps[1]?.status === 'running' ? true : undefined;
      });
    } finally {
      await gone.stop();
    }
    const { startTime } = await bench.client.workflow.getHandle(workflowId).describe();

    const began = performance.now();
    const read = await readSagaState(bench.client, workflowId, { queryTimeoutMs: 300 });
    const elapsedMs = performance.now() - began;
    console.log(`readSagaState of a running saga with no worker (300 ms bound): ${elapsedMs.toFixed(0)} ms`);
    expect(read).toEqual({
      stale: true,
      state: { sagaId: workflowId, status: 'running', currentStep: 'hold', startedAt: startTime.toISOString() },
    });
    expect(elapsedMs).toBeLessThan(1_000);
    await bench.client.workflow.getHandle(workflowId).terminate('the test is over');
  });
});
