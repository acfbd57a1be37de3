/**
 * The saga interceptor (workflows/saga/interceptors.ts), bundled into the bench's sagas as into every worker's: an
 * activity a step calls through the SDK's own proxies is scheduled as `sagaActivities` schedules it, with the step's
 * activity id, summary, cancellation and bounded compensation retry; and one called through `sagaActivities` is
 * still scoped once, not once by the proxy and again by the interceptor.
 */
import { cancelSaga } from '../api/saga/client';
import { activityEvents, decodeJson, historyOf } from './history';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import { failureOf } from './saga-failure-helpers';

describe('the saga interceptor', () => {
  let bench: SagaHarness;
  beforeAll(async () => {
    bench = await startSagaHarness();
  });
  afterAll(async () => {
    await bench?.stop();
  });

  it.each(['proxyActivities', 'sagaActivities'] as const)(
    "gives the activities a step calls through %s the step's ids and summaries, each call numbered once",
    async (proxy) => {
      const saga = await bench.start({
        plan: [
          { name: 'reserve', proxy, summary: 'Reserve 2 × SKU-1', calls: 2 },
          { name: 'charge', proxy, behaviour: { kind: 'fail', type: 'PaymentDeclined' } },
        ],
      });
      expect((await failureOf(saga.result())).causeType).toBe('PaymentDeclined');

      const scheduled = activityEvents(await historyOf(saga))
        .filter((event) => event.kind === 'scheduled')
        .map(({ activityId, summary }) => ({ activityId, summary }));
      expect(scheduled).toEqual([
        { activityId: 'action:reserve:1.1', summary: 'Reserve 2 × SKU-1' },
        { activityId: 'action:reserve:1.2', summary: 'Reserve 2 × SKU-1' },
        { activityId: 'action:charge:1.1', summary: 'charge: perform' },
        { activityId: 'compensation:reserve:1.1', summary: 'Undo Reserve 2 × SKU-1' },
      ]);
    },
  );

  it("gives the local activities a step calls the step's summary (their ids are the SDK's to choose)", async () => {
    const saga = await bench.start({
      plan: [
        { name: 'reserve', proxy: 'proxyLocalActivities', summary: 'Reserve 2 × SKU-1' },
        { name: 'charge', behaviour: { kind: 'fail', type: 'PaymentDeclined' } },
      ],
    });
    await failureOf(saga.result());

    const localActivities = (await historyOf(saga)).filter(
      (event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    );
    expect(localActivities.map((event) => decodeJson(event.userMetadata?.summary))).toEqual([
      'Reserve 2 × SKU-1',
      'Undo Reserve 2 × SKU-1',
    ]);
  });

  it.each(['proxyActivities', 'proxyLocalActivities'] as const)(
    "stops retrying a compensation called through %s at the saga's bounded compensation retry",
    async (proxy) => {
      const saga = await bench.start({
        plan: [
          // Transient failures for longer than any bound: the proxy's own retry policy sets no limit.
          { name: 'refund', proxy, compensation: { kind: 'failTimes', times: 100 } },
          { name: 'ship', behaviour: { kind: 'fail', type: 'Undeliverable' } },
        ],
        options: { onCompensationFailure: 'continue' },
      });

      expect(await failureOf(saga.result())).toMatchObject({ type: 'CompensationFailed', causeType: 'Undeliverable' });
      // Under `continue`, three attempts (the default bounded compensation retry), then the saga goes on.
      const undo = bench.service.of(saga.workflowId, 'undo', 'refund');
      expect(undo.filter((effect) => effect.outcome === 'started').map((effect) => effect.attempt)).toEqual([1, 2, 3]);
      const state = await bench.stateWhen(saga, () => true);
      expect(state.steps[0]?.compensation).toMatchObject({ status: 'failed', error: { type: 'Unavailable' } });
    },
  );

  it('waits for a cancelled action called through proxyActivities before it runs its compensation', async () => {
    const saga = await bench.start({
      plan: [
        { name: 'charge', proxy: 'proxyActivities', behaviour: { kind: 'waitForRelease' } },
        { name: 'dispatch', pivot: true },
      ],
    });
    await bench.stateWhen(saga, (state) => state.steps[0]?.status === 'running');
    expect(await cancelSaga(bench.client, saga.workflowId, 'changed my mind')).toMatchObject({ accepted: true });
    expect((await failureOf(saga.result())).type).toBe('SagaCancelled');

    // The SDK's default for proxyActivities would not wait: the undo would be scheduled before the charge ended.
    const events = activityEvents(await historyOf(saga));
    const chargeCancelled = events.find((event) => event.kind === 'cancelled' && event.activityType === 'perform');
    const undoScheduled = events.find((event) => event.kind === 'scheduled' && event.activityType === 'undo');
    expect(chargeCancelled?.eventId).toBeLessThan(undoScheduled!.eventId);
  });
});
