/**
 * Resolving escalated sagas at scale: one visibility query selects every saga in `needs_attention` it names, each is
 * resolved (here: skipped), and the report names the sagas that refused and why, here those whose escalated step
 * is another one. Then every resolved saga goes on and ends compensated.
 */
import type { SagaState } from '../workflows/saga';
import { resolveCompensations } from '../api/saga/client';
import { eventually } from './http';
import type { SagaHarness, TestSaga } from './saga-harness';
import { startSagaHarness } from './saga-harness';

describe('bulk resolution of escalated compensations', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  /** A saga whose `broken` step's undo fails for good, so that it escalates there. */
  const escalating = (broken: 'charge' | 'reserve') =>
    bench.start({
      plan: [
        { name: 'reserve', ...(broken === 'reserve' ? { compensation: { kind: 'failUntilFixed' } } : {}) },
        { name: 'charge', ...(broken === 'charge' ? { compensation: { kind: 'failUntilFixed' } } : {}) },
        { name: 'ship', behaviour: { kind: 'fail', type: 'Undeliverable' } },
      ],
      options: { onCompensationFailure: 'escalate', compensationRetry: { maximumAttempts: 1 } },
    });

  it('resolves 20 escalated sagas by one query, and names the ones that refused', async () => {
    const charged = await Promise.all(Array.from({ length: 20 }, () => escalating('charge')));
    const reserved = await Promise.all(Array.from({ length: 2 }, () => escalating('reserve')));
    const all: TestSaga[] = [...charged, ...reserved];
    const query = `WorkflowType = 'scriptedSaga' AND TaskQueue = '${bench.taskQueue}'`;
    // Every one escalated, and visibility shows all of them so.
    for (const saga of all) await bench.stateWhen(saga, (state) => state.status === 'needs_attention');
    await eventually(async () => {
      let count = 0;
      for await (const _ of bench.client.workflow.list({ query: `${query} AND SagaStatus = 'needs_attention'` })) {
        count++;
      }
      return count === all.length ? true : undefined;
    });

    const report = await resolveCompensations(bench.client, {
      query,
      resolution: { step: 'charge', action: 'skip', reason: 'refunded by hand, batch 42' },
    });
    expect(report.failed).toEqual([]);
    expect(report.resolved.map((entry) => entry.workflowId).sort()).toEqual(
      charged.map((saga) => saga.workflowId).sort(),
    );
    expect(report.refused.map((entry) => entry.workflowId).sort()).toEqual(
      reserved.map((saga) => saga.workflowId).sort(),
    );
    for (const { reason } of report.refused) expect(reason).toMatch(/charge/);

    const ended: SagaState[] = await Promise.all(
      charged.map((saga) => bench.stateWhen(saga, (state) => state.status === 'compensated')),
    );
    for (const state of ended) {
      expect(state.steps.find((step) => step.name === 'charge')?.compensation?.status).toBe('skipped');
    }
    for (const saga of reserved) expect((await bench.stateWhen(saga, () => true)).status).toBe('needs_attention');
  });

  it('reports a saga whose workers are down as failed, within the time given, instead of waiting for them', async () => {
    const elsewhere = await startSagaHarness();
    const saga = await elsewhere.start({
      plan: [
        { name: 'charge', compensation: { kind: 'failUntilFixed' } },
        { name: 'ship', behaviour: { kind: 'fail', type: 'Undeliverable' } },
      ],
      options: { onCompensationFailure: 'escalate', compensationRetry: { maximumAttempts: 1 } },
    });
    await elsewhere.stateWhen(saga, (state) => state.status === 'needs_attention');
    const query = `WorkflowType = 'scriptedSaga' AND TaskQueue = '${elsewhere.taskQueue}'`;
    await eventually(async () => {
      for await (const _ of bench.client.workflow.list({ query: `${query} AND SagaStatus = 'needs_attention'` })) {
        return true;
      }
      return undefined;
    });
    await elsewhere.stop();

    const began = Date.now();
    const report = await resolveCompensations(bench.client, {
      query,
      resolution: { step: 'charge', action: 'skip' },
      timeoutMs: 1000,
    });
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(report).toEqual({
      resolved: [],
      refused: [],
      failed: [{ workflowId: saga.workflowId, error: 'No worker took the resolution within 1000 ms.' }],
    });
  });
});
