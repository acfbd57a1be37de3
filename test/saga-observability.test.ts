/**
 * What the engine lets the world see of a saga, mid-run and at the end: the `sagaState` query, the `SagaStatus`
 * and `SagaStep` search attributes, the Web UI's current-details table and activity summaries; the idempotency
 * keys its activities receive; and what it costs in history events over a hand-written saga.
 */
import { randomUUID } from 'node:crypto';
import { startSaga } from '../api/saga';
import { searchAttributesOf as decodedSearchAttributes } from '../api/saga/temporal-values';
import type { ScriptedSagaInput } from './sagas/workflows';
import { SagaStatusKey, SagaStepKey } from '../workflows/saga';
import { eventually } from './http';
import { activityEvents, historyOf } from './history';
import type { SagaHarness, TestSaga } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import { failureOf } from './saga-failure-helpers';

/** The search attributes as the server's visibility store has them. */
async function searchAttributesOf(saga: TestSaga): Promise<{ status?: string; step?: string }> {
  const attributes = (await saga.describe()).typedSearchAttributes;
  return { status: attributes.get(SagaStatusKey), step: attributes.get(SagaStepKey) };
}

async function eventuallySearchAttributes(saga: TestSaga, expected: { status: string; step: string }) {
  return eventually(async () => {
    const actual = await searchAttributesOf(saga);
    return actual.status === expected.status && actual.step === expected.step ? actual : undefined;
  });
}

/** The Web UI's "current details", read through the SDK's built-in metadata query as the UI does. */
async function currentDetailsOf(saga: TestSaga): Promise<string> {
  const metadata = await saga.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/** Each search attribute upsert in the saga's history, decoded. */
async function upsertsOf(saga: TestSaga): Promise<Record<string, unknown>[]> {
  return (await historyOf(saga)).flatMap((event) => {
    const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    return fields ? [decodedSearchAttributes(fields)] : [];
  });
}

describe('saga observability', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  it('shows state, search attributes, current details and summaries while running and at the end', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'reserve', summary: 'Reserve 2 × SKU-1' },
        { name: 'charge', behaviour: { kind: 'waitForRelease' } },
        { name: 'ship' },
      ],
    });

    const running = await bench.stateWhen(saga, (state) => state.steps[1]?.status === 'running');
    expect(running).toMatchObject({
      sagaId: saga.workflowId,
      status: 'running',
      currentStep: 'charge',
      pivotPassed: false,
      escalations: [],
      compensationLog: [],
    });
    expect(running.steps.map(({ name, status, attempts }) => ({ name, status, attempts }))).toEqual([
      { name: 'reserve', status: 'succeeded', attempts: 1 },
      { name: 'charge', status: 'running', attempts: 1 },
      { name: 'ship', status: 'pending', attempts: 0 },
    ]);
    expect(Date.parse(running.steps[0]!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(running.steps[0]!.startedAt!));
    await eventuallySearchAttributes(saga, { status: 'running', step: 'charge' });
    const midTable = await currentDetailsOf(saga);
    expect(midTable).toMatch(/^Saga \*\*running\*\* · step `charge` · started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n/);
    // The steps as a fixed-width block: the UI pads no table cell, so its columns would run into each other.
    expect(midTable).toMatch(/\n```\nstep +status +tries +took +undo\n-+ +-+ +-+ +-+ +-+\n/);
    expect(midTable).toMatch(/^reserve {2}succeeded {6}1 +\d+ ms$/m);
    expect(midTable).toMatch(/^charge {3}running {8}1$/m);
    expect(midTable).toMatch(/^ship {5}pending$/m);

    bench.service.release(saga.workflowId, 'charge');
    await saga.result();
    const done = await bench.stateWhen(saga, () => true);
    expect(done.status).toBe('completed');
    expect(done.steps.every((step) => step.status === 'succeeded')).toBe(true);
    await eventuallySearchAttributes(saga, { status: 'completed', step: 'ship' });
    expect(await currentDetailsOf(saga)).toMatch(/^Saga \*\*completed\*\* · started .+ UTC · took \d+(\.\d)? m?s\n/);

    const summaries = activityEvents(await historyOf(saga))
      .filter((event) => event.kind === 'scheduled')
      .map((event) => event.summary);
    expect(summaries).toEqual(['Reserve 2 × SKU-1', 'charge: perform', 'ship: perform']);
  });

  it('shows the compensation as it happens', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'reserve', summary: 'Reserve 1 × SKU-9', compensation: { kind: 'waitForRelease' } },
        { name: 'charge', behaviour: { kind: 'fail', type: 'PaymentDeclined' } },
      ],
    });

    const compensating = await bench.stateWhen(saga, (state) => state.steps[0]?.compensation?.status === 'running');
    expect(compensating).toMatchObject({
      status: 'compensating',
      currentStep: 'reserve',
      failure: { type: 'PaymentDeclined' },
      compensationLog: [{ step: 'reserve', event: 'started', attempt: 1 }],
    });
    expect(compensating.steps[1]).toMatchObject({ status: 'failed', error: { type: 'PaymentDeclined' } });
    await eventuallySearchAttributes(saga, { status: 'compensating', step: 'reserve' });
    const table = await currentDetailsOf(saga);
    expect(table).toContain('Failure: `PaymentDeclined`');
    expect(table).toMatch(/^reserve +succeeded +1 +\d+ ms {2}undoing$/m);
    expect(table).toMatch(/^charge +failed: PaymentDeclined +1 +\d+ ms$/m);

    bench.service.release(saga.workflowId, 'reserve');
    await failureOf(saga.result());
    await eventuallySearchAttributes(saga, { status: 'compensated', step: 'reserve' });
    const summaries = activityEvents(await historyOf(saga))
      .filter((event) => event.kind === 'scheduled')
      .map((event) => event.summary);
    expect(summaries).toEqual(['Reserve 1 × SKU-9', 'charge: perform', 'Undo Reserve 1 × SKU-9']);
  });

  it('hands every attempt the same idempotency key, across a worker restart', async () => {
    const slowRetry = { retry: { initialInterval: '2 seconds', maximumAttempts: 5 } };
    const saga = await bench.start({
      plan: [
        { name: 'charge', behaviour: { kind: 'failTimes', times: 1 }, compensation: { kind: 'failTimes', times: 1 } },
        { name: 'ship', behaviour: { kind: 'failTimes', times: 1 }, activityOptions: slowRetry },
        { name: 'confirm', behaviour: { kind: 'fail', type: 'Rejected' } },
      ],
    });
    // The first attempt of `ship` failed; the second comes after the worker (and its workflow cache) is replaced.
    await eventually(async () =>
      bench.service.of(saga.workflowId, 'perform', 'ship').some((effect) => effect.outcome === 'failed')
        ? true
        : undefined,
    );
    await bench.restartWorker();

    expect((await failureOf(saga.result())).causeType).toBe('Rejected');
    const keysByAttempt = (activity: 'perform' | 'undo', step: string) =>
      bench.service
        .of(saga.workflowId, activity, step)
        .filter((effect) => effect.outcome === 'started')
        .map((effect) => `${effect.attempt} ${effect.key}`);
    expect(keysByAttempt('perform', 'ship')).toEqual([`1 ${saga.workflowId}/ship`, `2 ${saga.workflowId}/ship`]);
    // The second attempt ran on the new worker, after the restart.
    const shipStarts = bench.service
      .of(saga.workflowId, 'perform', 'ship')
      .filter((effect) => effect.outcome === 'started');
    expect(shipStarts.map((effect) => `attempt ${effect.attempt} on worker ${effect.worker}`)).toEqual([
      'attempt 1 on worker 0',
      'attempt 2 on worker 1',
    ]);
    expect(keysByAttempt('perform', 'charge')).toEqual([`1 ${saga.workflowId}/charge`, `2 ${saga.workflowId}/charge`]);
    expect(keysByAttempt('undo', 'charge')).toEqual([
      `1 ${saga.workflowId}/charge/compensate`,
      `2 ${saga.workflowId}/charge/compensate`,
    ]);
  });

  describe('started by startSaga, which writes SagaStatus with the start', () => {
    const start = (input: ScriptedSagaInput): Promise<TestSaga> =>
      startSaga(bench.client, 'scriptedSaga', {
        workflowId: `saga-${randomUUID()}`,
        taskQueue: bench.taskQueue,
        args: [input],
      }) as Promise<TestSaga>;

    it('writes its search attributes once, as it ends, when it is done in a moment', async () => {
      const saga = await start({ plan: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }] });
      await saga.result();
      expect(await upsertsOf(saga)).toEqual([{ SagaStatus: 'completed', SagaStep: 'd' }]);
      expect(await searchAttributesOf(saga)).toEqual({ status: 'completed', step: 'd' });
      // No patch marker either: the start says the saga is new enough to leave its memo.
      expect((await historyOf(saga)).filter((event) => event.markerRecordedEventAttributes)).toEqual([]);
      expect((await saga.describe()).memo).toMatchObject({ sagaState: { status: 'completed' } });
    });

    it('writes its step once it has run publishStepAfter, and every change of step from then on', async () => {
      const saga = await start({
        plan: [{ name: 'a' }, { name: 'b', behaviour: { kind: 'waitForRelease' } }, { name: 'c' }],
        options: { publishStepAfter: '1 second' },
      });
      await eventuallySearchAttributes(saga, { status: 'running', step: 'b' });
      bench.service.release(saga.workflowId, 'b');
      await saga.result();
      expect(await upsertsOf(saga)).toEqual([{ SagaStep: 'b' }, { SagaStep: 'c' }, { SagaStatus: 'completed' }]);
    });

    it('writes nothing while a step runs within publishStepAfter, and its step at once when it compensates', async () => {
      const saga = await start({
        plan: [
          { name: 'a', compensation: { kind: 'waitForRelease' } },
          { name: 'b', behaviour: { kind: 'waitForRelease' } },
        ],
        options: { publishStepAfter: '1 hour' },
      });
      await bench.stateWhen(saga, (state) => state.steps[1]?.status === 'running');
      expect(await searchAttributesOf(saga)).toEqual({ status: 'running', step: undefined });
      expect(await upsertsOf(saga)).toEqual([]);

      // Cancelled before its pivot: it compensates, undoing `a`.
      await saga.cancel();
      await eventuallySearchAttributes(saga, { status: 'compensating', step: 'a' });
      bench.service.release(saga.workflowId, 'a');
      await failureOf(saga.result());
      await eventuallySearchAttributes(saga, { status: 'compensated', step: 'a' });
    });
  });

  it('costs at most 2 history events per step over the same saga written by hand', async () => {
    const plan = [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }];
    const engine = await bench.start({ plan });
    const handWritten = await bench.start({ plan }, 'handWrittenSaga');
    expect(await engine.result()).toEqual(await handWritten.result());

    const engineEvents = (await historyOf(engine)).length;
    const handWrittenEvents = (await historyOf(handWritten)).length;
    console.log(
      `Happy path, ${plan.length} steps: engine ${engineEvents} history events, hand-written ${handWrittenEvents}` +
        ` (+${((engineEvents - handWrittenEvents) / plan.length).toFixed(2)} per step)`,
    );
    expect(engineEvents - handWrittenEvents).toBeLessThanOrEqual(2 * plan.length);
  });

  it('with searchAttributes off, writes no search attribute and still keeps its state and current details', async () => {
    const saga = await bench.start({
      plan: [{ name: 'a' }, { name: 'b', behaviour: { kind: 'fail', type: 'Declined' } }],
      options: { searchAttributes: false },
    });
    expect((await failureOf(saga.result())).causeType).toBe('Declined');

    const events = await historyOf(saga);
    // Only the SDK's own TemporalChangeVersion (a built-in attribute, written by patched()) remains.
    const upserted = events.flatMap((event) =>
      Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
    expect(upserted).toEqual(['TemporalChangeVersion']);
    expect(await searchAttributesOf(saga)).toEqual({ status: undefined, step: undefined });
    expect((await bench.stateWhen(saga, () => true)).status).toBe('compensated');
    expect(await currentDetailsOf(saga)).toContain('compensated');
  });
});
