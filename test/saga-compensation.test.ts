/**
 * The engine's compensation semantics, each proven on the real server with test sagas and test activities:
 * reverse order, compensation of a step whose outcome is unknown, parallel compensation, parallel step groups.
 */
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import { eventually } from './http';
import { activityEvents, historyOf, sequence } from './history';
import { failureOf } from './saga-failure-helpers';
import { waitForStepUpdate } from '../workflows/saga';

describe('saga compensation', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  it('undoes the completed steps in reverse order when a step fails for business reasons, and fails saying so', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'reserve' },
        { name: 'charge' },
        { name: 'book' },
        { name: 'ship', behaviour: { kind: 'fail', type: 'OutOfStock' } },
        { name: 'notify' },
      ],
    });

    // The workflow's own failure names the outcome (the Web UI lists it); the step's failure is its cause.
    expect(await failureOf(saga.result())).toEqual({
      type: 'SagaCompensated',
      message: 'compensated after ship failed: OutOfStock: perform ship refused (undone: book, charge, reserve)',
      causeType: 'OutOfStock',
      details: [],
    });

    const events = activityEvents(await historyOf(saga));
    expect(sequence(events, 'scheduled', 'undo')).toEqual(['undo:book', 'undo:charge', 'undo:reserve']);
    // Sequential: each compensation completes before the next one is scheduled.
    expect(
      events.filter((event) => event.activityType === 'undo').map((event) => `${event.kind}:${event.step}`),
    ).toEqual([
      'scheduled:book',
      'completed:book',
      'scheduled:charge',
      'completed:charge',
      'scheduled:reserve',
      'completed:reserve',
    ]);
    // The refused step did nothing, so it is not undone; the step after it never ran.
    expect(bench.service.done(saga.workflowId, 'perform')).toEqual(['reserve', 'charge', 'book']);

    const state = await bench.stateWhen(saga, () => true);
    expect(state).toMatchObject({ status: 'compensated', failure: { type: 'OutOfStock' } });
    expect(state.steps.map((step) => [step.name, step.status, step.compensation?.status])).toEqual([
      ['reserve', 'succeeded', 'succeeded'],
      ['charge', 'succeeded', 'succeeded'],
      ['book', 'succeeded', 'succeeded'],
      ['ship', 'failed', undefined],
      ['notify', 'pending', undefined],
    ]);
  });

  it('undoes a step whose activity did its work and then timed out, since its compensation was registered first', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'reserve' },
        {
          name: 'charge',
          behaviour: { kind: 'sideEffectThenHang', hangMs: 1500 },
          activityOptions: { startToCloseTimeout: '300 milliseconds', retry: { maximumAttempts: 1 } },
        },
      ],
    });

    expect(await failureOf(saga.result())).toMatchObject({
      type: 'SagaCompensated',
      message: expect.stringMatching(
        /^compensated after charge failed: TimeoutFailure: .+ \(undone: charge, reserve\)$/,
      ),
    });

    expect(bench.service.done(saga.workflowId, 'perform')).toEqual(['reserve', 'charge']); // the charge happened…
    expect(sequence(activityEvents(await historyOf(saga)), 'completed', 'undo')).toEqual([
      'undo:charge',
      'undo:reserve',
    ]); // …and was undone
    const state = await bench.stateWhen(saga, () => true);
    expect(state.status).toBe('compensated');
    expect(state.steps[1]).toMatchObject({ name: 'charge', status: 'failed', error: { type: 'TimeoutFailure' } });
  });

  it('runs every compensation at once under the parallel order', async () => {
    const slowUndo = { kind: 'succeed', delayMs: 300 } as const;
    const saga = await bench.start({
      plan: [
        { name: 'a', compensation: slowUndo },
        { name: 'b', compensation: slowUndo },
        { name: 'c', compensation: slowUndo },
        { name: 'd', behaviour: { kind: 'fail', type: 'Declined' } },
      ],
      options: { compensationOrder: 'parallel' },
    });
    await failureOf(saga.result());

    const undo = activityEvents(await historyOf(saga)).filter((event) => event.activityType === 'undo');
    const lastScheduled = Math.max(...undo.filter((e) => e.kind === 'scheduled').map((e) => e.eventId));
    const firstCompleted = Math.min(...undo.filter((e) => e.kind === 'completed').map((e) => e.eventId));
    expect(
      undo
        .filter((e) => e.kind === 'scheduled')
        .map((e) => e.step)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(lastScheduled).toBeLessThan(firstCompleted);
    expect((await bench.stateWhen(saga, () => true)).status).toBe('compensated');
  });

  it('lets running siblings of a failed parallel step finish, then undoes exactly those that succeeded', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'order' },
        {
          parallel: [
            { name: 'stock', behaviour: { kind: 'succeed', delayMs: 50 } },
            { name: 'payment', behaviour: { kind: 'fail', type: 'PaymentDeclined' } },
            { name: 'label', behaviour: { kind: 'succeed', delayMs: 700 } },
          ],
        },
        { name: 'confirm' },
      ],
    });
    expect(await failureOf(saga.result())).toMatchObject({
      type: 'SagaCompensated',
      message: expect.stringMatching(
        /^compensated after payment failed: PaymentDeclined: perform payment refused \(undone: (stock, label|label, stock), order\)$/,
      ),
      causeType: 'PaymentDeclined',
    });

    const events = activityEvents(await historyOf(saga));
    const labelDone = events.find((e) => e.kind === 'completed' && e.activityType === 'perform' && e.step === 'label');
    const firstUndo = events.find((e) => e.kind === 'scheduled' && e.activityType === 'undo');
    expect(labelDone!.eventId).toBeLessThan(firstUndo!.eventId); // the slow sibling settled before any undo
    // The group is undone together (in either order), then the step before it; the declined payment is not.
    const undone = sequence(events, 'completed', 'undo');
    expect(undone.slice(0, 2).sort()).toEqual(['undo:label', 'undo:stock']);
    expect(undone.slice(2)).toEqual(['undo:order']);
    expect(bench.service.done(saga.workflowId, 'perform')).not.toContain('confirm');

    const state = await bench.stateWhen(saga, () => true);
    expect(state.steps.map((step) => [step.name, step.status, step.group])).toEqual([
      ['order', 'succeeded', undefined],
      ['stock', 'succeeded', 'stock + payment + label'],
      ['payment', 'failed', 'stock + payment + label'],
      ['label', 'succeeded', 'stock + payment + label'],
      ['confirm', 'pending', undefined],
    ]);
  });

  it('treats a duplicate step name as a bug: the workflow task fails and nothing is compensated', async () => {
    const saga = await bench.start({ plan: [{ name: 'reserve' }, { name: 'reserve' }] });

    const failedTask = await eventually(async () => {
      const events = await historyOf(saga);
      return events.find((event) => event.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
    });
    expect(failedTask?.failure?.message).toBe("Step names must be unique: 'reserve' ran twice.");
    expect(bench.service.of(saga.workflowId, 'undo')).toEqual([]);
    await saga.terminate('test over');
  });

  it('fails the workflow task on a duplicate step name even while a waitForStep Update is pending', async () => {
    const saga = await bench.start({
      plan: [{ name: 'reserve', behaviour: { kind: 'waitForRelease' } }, { name: 'reserve' }, { name: 'ship' }],
    });
    await bench.stateWhen(saga, (state) => state.steps[0]?.status === 'running');
    await saga.startUpdate(waitForStepUpdate, { args: [{ step: 'ship' }], waitForStage: 'ACCEPTED' });
    bench.service.release(saga.workflowId, 'reserve');

    const failedTask = await eventually(async () => {
      const events = await historyOf(saga);
      return events.find((event) => event.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
    });
    expect(failedTask?.failure?.message).toBe("Step names must be unique: 'reserve' ran twice.");
    await saga.terminate('test over');
  });
});
