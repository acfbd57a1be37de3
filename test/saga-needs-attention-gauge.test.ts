/**
 * The gauge of sagas waiting for an operator, read where an operator reads it: the worker's Prometheus endpoint.
 * It follows the sagas in `needs_attention` up as they escalate and down as they are resolved, which the
 * workflow-side counters cannot, and counts only the sagas its query selects.
 */
import { Client, Connection } from '@temporalio/client';
import { resolveCompensation } from '../api/saga/client';
import { startNeedsAttentionGauge } from '../workers/saga';
import { readTestEnv } from './env';
import { eventually } from './http';
import { freePort } from './processes';
import { scrape, total } from './prometheus';
import type { SagaHarness, TestSaga } from './saga-harness';
import { startSagaHarness } from './saga-harness';

describe('the needs_attention gauge', () => {
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

  /** A saga whose `charge` undo fails for good, so that it escalates there. */
  const escalating = () =>
    bench.start({
      plan: [
        { name: 'charge', compensation: { kind: 'failUntilFixed' } },
        { name: 'ship', behaviour: { kind: 'fail', type: 'Undeliverable' } },
      ],
      options: { onCompensationFailure: 'escalate', compensationRetry: { maximumAttempts: 1 } },
    });

  /** The gauge's value for this bench's task queue; undefined until it has been set once. */
  const gaugeValue = async (): Promise<number | undefined> => {
    const samples = await scrape(metricsUrl);
    const labels = { taskQueue: bench.taskQueue };
    const found = samples.some(
      (sample) => sample.name === 'saga_needs_attention_current' && sample.labels.taskQueue === bench.taskQueue,
    );
    return found ? total(samples, 'saga_needs_attention_current', labels) : undefined;
  };
  const gaugeReads = async (expected: number) => {
    let last: number | undefined;
    await eventually(async () => ((last = await gaugeValue()) === expected ? true : undefined)).catch(() => undefined);
    return last;
  };

  it('shows how many sagas wait for an operator now, and drops as they are resolved', async () => {
    const gauge = startNeedsAttentionGauge({
      client: bench.client,
      intervalMs: 200,
      query: `TaskQueue = '${bench.taskQueue}'`,
      tags: { taskQueue: bench.taskQueue },
    });
    try {
      expect(await gaugeReads(0)).toBe(0); // set, to zero, before anything escalates
      const waiting: TestSaga[] = await Promise.all([escalating(), escalating(), escalating()]);
      // Neither a saga that completes nor one that compensates counts.
      const completed = await bench.start({ plan: [{ name: 'charge' }] });
      const compensated = await bench.start({
        plan: [{ name: 'charge' }, { name: 'ship', behaviour: { kind: 'fail', type: 'Undeliverable' } }],
        options: { onCompensationFailure: 'escalate' },
      });
      await completed.result();
      await expect(compensated.result()).rejects.toThrow();
      for (const saga of waiting) await bench.stateWhen(saga, (state) => state.status === 'needs_attention');
      expect(await gaugeReads(3)).toBe(3);

      const [first, second, third] = waiting as [TestSaga, TestSaga, TestSaga];
      await resolveCompensation(bench.client, first.workflowId, { step: 'charge', action: 'skip' });
      await resolveCompensation(bench.client, second.workflowId, { step: 'charge', action: 'abort' });
      await expect(first.result()).rejects.toThrow();
      await expect(second.result()).rejects.toThrow();
      expect(await gaugeReads(1)).toBe(1);

      // A saga that ends while still waiting (terminated by hand) keeps its search attribute, and counts no more.
      await third.terminate('given up');
      expect(await gaugeReads(0)).toBe(0);
    } finally {
      await gauge.stop();
    }
  });

  it('keeps counting after a count fails, and says why', async () => {
    const { address, namespace } = readTestEnv();
    const connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace });
    await connection.close();
    const errors: unknown[] = [];
    const gauge = startNeedsAttentionGauge({ client, intervalMs: 100, onError: (error) => errors.push(error) });
    await eventually(async () => (errors.length >= 2 ? true : undefined));
    await gauge.stop();
    const after = errors.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors.length).toBe(after); // stopped: no count since
  });
});
