/** The framework's client helpers, against the real server. */
import { randomUUID } from 'node:crypto';
import { getSagaState, startSaga } from '../api/saga/client';
import { SagaStatusKey } from '../workflows/saga';
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
  });
});
