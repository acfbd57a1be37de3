/**
 * The engine's saga counters, read where an operator reads them: the worker's Prometheus endpoint. Each outcome
 * is counted once, and replaying a history (a worker restart drops its cache) counts nothing again.
 */
import { resolveCompensation } from '../api/saga/client';
import { sagaStateQuery } from '../workflows/saga';
import { eventually } from './http';
import { freePort } from './processes';
import { sagaCounters, scrape } from './prometheus';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';

describe('saga counters on the Prometheus endpoint', () => {
  let bench: SagaHarness;
  let metricsUrl: string;
  beforeAll(async () => {
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    bench = await startSagaHarness({ metricsPort });
  });
  afterAll(async () => {
    await bench?.stop();
  });

  /** This harness's counters (its task queue is its own), by name. */
  const counters = async () => sagaCounters(await scrape(metricsUrl), { taskQueue: bench.taskQueue });

  it('counts started, completed, compensated, needs_attention and failed sagas, and nothing again on replay', async () => {
    const completed = await bench.start({ plan: [{ name: 'reserve' }, { name: 'charge' }] });
    const compensated = await bench.start({
      plan: [{ name: 'reserve' }, { name: 'charge', behaviour: { kind: 'fail', type: 'Declined' } }],
    });
    const escalated = await bench.start({
      plan: [
        { name: 'charge', compensation: { kind: 'failUntilFixed' } },
        { name: 'ship', behaviour: { kind: 'fail', type: 'Undeliverable' } },
      ],
      options: { onCompensationFailure: 'escalate', compensationRetry: { maximumAttempts: 1 } },
    });
    await completed.result();
    await expect(compensated.result()).rejects.toThrow();
    await bench.stateWhen(escalated, (state) => state.status === 'needs_attention');
    await resolveCompensation(bench.client, escalated.workflowId, { step: 'charge', action: 'abort' });
    await expect(escalated.result()).rejects.toThrow();

    const expected = {
      saga_started: 3,
      saga_completed: 1,
      saga_compensated: 1,
      saga_needs_attention: 1,
      saga_failed: 1,
    };
    // Workflow metrics reach the endpoint shortly after the workflow task that counted them.
    await eventually(async () => ((await counters()).saga_failed === 1 ? true : undefined));
    expect(await counters()).toEqual(expected);

    await bench.restartWorker();
    for (const saga of [completed, compensated, escalated]) await saga.query(sagaStateQuery); // each one replays
    // A sentinel saga after the replays: once its counts are there, anything the replays counted would be too.
    const sentinel = await bench.start({ plan: [{ name: 'reserve' }] });
    await sentinel.result();
    await eventually(async () => ((await counters()).saga_completed === 2 ? true : undefined));
    expect(await counters()).toEqual({ ...expected, saga_started: 4, saga_completed: 2 });
  });
});
