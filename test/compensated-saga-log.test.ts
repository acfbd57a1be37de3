/**
 * What a service worker's console says when a saga ends: a saga that compensated as designed is one info line (its
 * id, the step, the failure, what was undone) with no stack trace; a saga that failed for real keeps the SDK's
 * warning and its stack. A real worker on the real server, logging through the services' own logger, captured.
 */
import type { LogEntry } from '@temporalio/worker';
import { cancelSaga } from '../api/saga/client';
import { ServiceWorkerLogger } from '../workers/service-worker';
import { sagaStateQuery } from '../workflows/saga';
import { eventually } from './http';
import { failureOf } from './saga-failure-helpers';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import type { ScriptedSagaInput } from './sagas/workflows';

describe('the service worker log of a saga that ended', () => {
  const entries: LogEntry[] = [];
  let harness: SagaHarness;
  beforeAll(async () => {
    // The services' logger, at the services' threshold, writing into `entries` instead of stderr.
    harness = await startSagaHarness({ logger: new ServiceWorkerLogger('WARN', (entry) => entries.push(entry)) });
  });
  afterAll(() => harness?.stop());

  const start = (input: ScriptedSagaInput) => harness.start(input);

  /** What the worker logged about the saga's end, once it did (the lines of its activities left out). */
  function endOf(workflowId: string): Promise<LogEntry[]> {
    const about = (entry: LogEntry) =>
      entry.message.includes(workflowId) || (entry.meta?.workflowId === workflowId && !entry.meta.activityId);
    return eventually(async () => {
      const lines = entries.filter(about);
      return lines.some((entry) => entry.level === 'INFO' || entry.message === 'Workflow failed') ? lines : undefined;
    });
  }

  it('logs a saga compensated after a business failure as one info line: id, step, failure, what was undone', async () => {
    const saga = await start({
      plan: [{ name: 'reserve' }, { name: 'charge' }, { name: 'ship', behaviour: { kind: 'fail', type: 'Declined' } }],
    });
    expect((await failureOf(saga.result())).type).toBe('SagaCompensated');

    expect(await endOf(saga.workflowId)).toEqual([
      {
        level: 'INFO',
        message: `Saga ${saga.workflowId} compensated after ship failed: Declined: perform ship refused (undone: charge, reserve)`,
        timestampNanos: expect.any(BigInt),
      },
    ]);
  });

  it('logs a saga cancelled through the cancelSaga Update the same way', async () => {
    const saga = await start({
      plan: [{ name: 'reserve' }, { name: 'charge', behaviour: { kind: 'waitForRelease' } }],
    });
    await eventually(async () =>
      (await saga.query(sagaStateQuery)).steps[1]?.status === 'running' ? true : undefined,
    );
    await cancelSaga(harness.client, saga.workflowId, 'customer changed their mind');
    expect((await failureOf(saga.result())).type).toBe('SagaCancelled');
    harness.service.release(saga.workflowId, 'charge');

    expect(await endOf(saga.workflowId)).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message:
          `Saga ${saga.workflowId} compensated after cancellation during charge: customer changed their mind ` +
          '(undone: charge, reserve)',
      }),
    ]);
  });

  it('keeps the warning and its stack trace for a saga that could not undo its work', async () => {
    const saga = await start({
      plan: [
        { name: 'refund', compensation: { kind: 'fail', type: 'RefundFailed' } },
        { name: 'ship', behaviour: { kind: 'fail', type: 'Declined' } },
      ],
      options: { onCompensationFailure: 'continue', compensationRetry: { maximumAttempts: 1 } },
    });
    expect((await failureOf(saga.result())).type).toBe('CompensationFailed');

    const [line, ...more] = await endOf(saga.workflowId);
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      level: 'WARN',
      message: 'Workflow failed',
      meta: { workflowId: saga.workflowId, error: { message: expect.stringContaining('compensation(s) failed') } },
    });
    expect((line?.meta?.error as Error).stack).toMatch(/\n\s+at /);
  });
});
