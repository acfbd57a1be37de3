/**
 * The testing kit (workers/saga/testing.ts) on the engine's own test sagas: each injected failure (a business
 * failure of a type, a step that never answers, a cancellation while the step runs) takes the saga down the path
 * the engine promises, and the kit reads that path back from the history.
 */
import type { ScriptedSagaInput } from './sagas/workflows';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import { inject } from '../workers/saga/testing';

const plan: ScriptedSagaInput['plan'] = [
  { name: 'reserve' },
  {
    name: 'charge',
    // A step that never answers times out after 300 ms, twice, then the saga gives up on it.
    activityOptions: { startToCloseTimeout: '300 milliseconds', retry: { maximumAttempts: 2 } },
  },
  { name: 'ship', pivot: true },
  // After the pivot: nothing is undone, so no compensation.
  { name: 'notify', compensation: null },
];

describe('the testing kit', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  it('runs a saga unharmed when nothing is injected', async () => {
    const run = await bench.kit.run('scriptedSaga', { args: [{ plan }] });
    expect(await run.ended()).toMatchObject({
      steps: ['reserve', 'charge', 'ship', 'notify'],
      failedSteps: [],
      compensations: [],
      status: 'completed',
      failure: undefined,
    });
  });

  it('injects a business failure: the step is not undone, the steps before it are, newest first', async () => {
    const run = await bench.kit.run('scriptedSaga', {
      args: [{ plan }],
      inject: { charge: inject.businessFailure('PaymentDeclined') },
    });
    expect(await run.ended()).toMatchObject({
      steps: ['reserve'],
      failedSteps: ['charge'],
      compensations: ['reserve'],
      status: 'compensated',
      failure: { type: 'PaymentDeclined' },
    });
    // The real activity never ran for the injected step.
    expect(bench.service.done(run.handle.workflowId, 'perform')).toEqual(['reserve']);
  });

  it('injects a step that never answers: it times out, its outcome is unknown, so it is undone too', async () => {
    const run = await bench.kit.run('scriptedSaga', { args: [{ plan }], inject: { charge: inject.timeout() } });
    const path = await run.ended();
    expect(path).toMatchObject({
      steps: ['reserve'],
      failedSteps: ['charge'],
      compensations: ['charge', 'reserve'],
      status: 'compensated',
    });
    expect(path.timeline).toContainEqual(
      expect.objectContaining({ type: 'step', kind: 'action', step: 'charge', event: 'timed-out' }),
    );
  });

  it('injects a cancellation while a step runs: the step stops before anything is undone', async () => {
    const run = await bench.kit.run('scriptedSaga', {
      args: [{ plan }],
      inject: { charge: inject.cancellation('the customer changed their mind') },
    });
    const path = await run.ended();
    expect(path).toMatchObject({
      steps: ['reserve'],
      failedSteps: ['charge'],
      compensations: ['charge', 'reserve'],
      status: 'compensated',
      failure: { type: 'SagaCancelled', message: 'the customer changed their mind' },
    });
    // The cancelled action ended before its compensation was scheduled.
    const events = path.timeline.flatMap((entry) =>
      entry.type === 'step' && entry.step === 'charge' ? [`${entry.kind}:${entry.event}`] : [],
    );
    expect(events.indexOf('action:cancelled')).toBeLessThan(events.indexOf('compensation:scheduled'));
  });

  it('lets a cancellation after the pivot be refused, and the step then runs as it would have', async () => {
    const run = await bench.kit.run('scriptedSaga', {
      args: [{ plan }],
      inject: { notify: inject.cancellation('too late') },
    });
    expect(await run.ended()).toMatchObject({
      steps: ['reserve', 'charge', 'ship', 'notify'],
      compensations: [],
      status: 'completed',
    });
  });
});
