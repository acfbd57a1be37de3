/**
 * A saga's history read back as its timeline (`timelineOf` in api/saga/history.ts), on small histories written by
 * hand as a fetched history holds them (int64 ids as `Long`s, failures as the SDK encodes them): the start, each
 * step's activity from scheduled to its end, compensations, status changes, accepted Updates and each way of
 * closing. Then the values those events carry (api/saga/temporal-values.ts): timestamps and search attributes.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  defaultFailureConverter,
  defaultPayloadConverter,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import Long from 'long';
import { timelineOf } from '../../api/saga/history';
import { dateOf, searchAttributesOf } from '../../api/saga/temporal-values';
import type { StepActivity } from '../../workflows/saga';
import { SagaFailureType, stepActivityId } from '../../workflows/saga';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** 2026-01-05T10:00:00Z; event `n` happens `n` seconds later. */
const startSeconds = 1_767_607_200;
const at = (eventId: number) => new Date((startSeconds + eventId) * 1000).toISOString();

function event(eventId: number, attributes: Omit<HistoryEvent, 'eventId' | 'eventTime'>): HistoryEvent {
  return {
    eventId: Long.fromNumber(eventId),
    eventTime: { seconds: Long.fromNumber(startSeconds + eventId) },
    ...attributes,
  };
}

const sagaStarted = (eventId: number) =>
  event(eventId, { workflowExecutionStartedEventAttributes: { workflowType: { name: 'placeOrder' } } });

function scheduled(eventId: number, activityType: string, step: StepActivity): HistoryEvent {
  const activityId = stepActivityId(step);
  return event(eventId, { activityTaskScheduledEventAttributes: { activityId, activityType: { name: activityType } } });
}

const started = (eventId: number, scheduledEventId: number, attempt: number) =>
  event(eventId, {
    activityTaskStartedEventAttributes: { scheduledEventId: Long.fromNumber(scheduledEventId), attempt },
  });

const completed = (eventId: number, scheduledEventId: number) =>
  event(eventId, { activityTaskCompletedEventAttributes: { scheduledEventId: Long.fromNumber(scheduledEventId) } });

/** A failure as the SDK encodes it into an event. */
const encoded = (error: Error) => defaultFailureConverter.errorToFailure(error, defaultPayloadConverter);

const statusChange = (eventId: number, status: string) =>
  event(eventId, {
    upsertWorkflowSearchAttributesEventAttributes: {
      searchAttributes: { indexedFields: { SagaStatus: defaultPayloadConverter.toPayload(status) } },
    },
  });

const cardDeclined = () => ApplicationFailure.nonRetryable('The card was declined.', 'PaymentDeclined');

describe('timelineOf', () => {
  it("reads a saga's start, each step's activity from scheduled to completed, and its end", () => {
    const events = [
      sagaStarted(1),
      event(2, { workflowTaskScheduledEventAttributes: {} }),
      scheduled(5, 'reserveStock', { kind: 'action', step: 'reserveStock', attempt: 1, call: 1 }),
      started(6, 5, 3),
      completed(7, 5),
      event(10, { workflowExecutionCompletedEventAttributes: {} }),
    ];
    const reserve = { type: 'step', kind: 'action', step: 'reserveStock', attempt: 1, activity: 'reserveStock' };

    expect(timelineOf(events, new Map([['5', 'Reserve 2 × SKU-1']]))).toEqual([
      { eventId: 1, at: at(1), type: 'saga-started', workflowType: 'placeOrder' },
      { eventId: 5, at: at(5), ...reserve, event: 'scheduled', summary: 'Reserve 2 × SKU-1' },
      { eventId: 6, at: at(6), ...reserve, event: 'started', summary: 'Reserve 2 × SKU-1', temporalAttempt: 3 },
      { eventId: 7, at: at(7), ...reserve, event: 'completed', summary: 'Reserve 2 × SKU-1' },
      { eventId: 10, at: at(10), type: 'saga-closed', outcome: 'completed' },
    ]);
  });

  it('leaves out activities that serve no saga step, and the events that follow them', () => {
    const events = [
      event(5, { activityTaskScheduledEventAttributes: { activityId: '1', activityType: { name: 'audit' } } }),
      started(6, 5, 1),
      completed(7, 5),
    ];
    expect(timelineOf(events)).toEqual([]);
  });

  it("shows a failed step with its business failure, then each compensation with the engine's attempt", () => {
    const events = [
      scheduled(5, 'chargePayment', { kind: 'action', step: 'chargePayment', attempt: 1, call: 1 }),
      started(6, 5, 1),
      event(7, {
        activityTaskFailedEventAttributes: { scheduledEventId: Long.fromNumber(5), failure: encoded(cardDeclined()) },
      }),
      scheduled(9, 'releaseStock', { kind: 'compensation', step: 'reserveStock', attempt: 2, call: 1 }),
    ];

    expect(timelineOf(events).slice(2)).toEqual([
      expect.objectContaining({
        eventId: 7,
        event: 'failed',
        step: 'chargePayment',
        failure: { type: 'PaymentDeclined', message: 'The card was declined.' },
      }),
      expect.objectContaining({
        eventId: 9,
        event: 'scheduled',
        kind: 'compensation',
        step: 'reserveStock',
        attempt: 2,
      }),
    ]);
  });

  it('shows a step that timed out with its timeout, and one that was cancelled', () => {
    const timeout = new TimeoutFailure('activity StartToClose timeout', undefined, TimeoutType.START_TO_CLOSE);
    const events = [
      scheduled(5, 'requestShipment', { kind: 'action', step: 'requestShipment', attempt: 1, call: 1 }),
      event(6, {
        activityTaskTimedOutEventAttributes: { scheduledEventId: Long.fromNumber(5), failure: encoded(timeout) },
      }),
      scheduled(7, 'requestShipment', { kind: 'action', step: 'requestShipment', attempt: 2, call: 1 }),
      event(8, { activityTaskCanceledEventAttributes: { scheduledEventId: Long.fromNumber(7) } }),
    ];

    const [, timedOut, , cancelled] = timelineOf(events);
    expect(timedOut).toMatchObject({
      event: 'timed-out',
      failure: { type: 'TimeoutFailure', message: 'activity StartToClose timeout' },
    });
    expect(cancelled).toMatchObject({ event: 'cancelled', attempt: 2 });
    expect(cancelled).not.toHaveProperty('failure');
  });

  it('shows each status the saga published in its SagaStatus search attribute, and no other upsert', () => {
    const events = [
      statusChange(5, 'compensating'),
      event(6, {
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: { indexedFields: { SagaStep: defaultPayloadConverter.toPayload('reserveStock') } },
        },
      }),
      statusChange(7, 'compensated'),
    ];
    expect(timelineOf(events)).toEqual([
      { eventId: 5, at: at(5), type: 'status', status: 'compensating' },
      { eventId: 7, at: at(7), type: 'status', status: 'compensated' },
    ]);
  });

  it('shows the status written with the start, once, when the first upsert repeats it', () => {
    const startedRunning = event(1, {
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: 'placeOrder' },
        searchAttributes: { indexedFields: { SagaStatus: defaultPayloadConverter.toPayload('running') } },
      },
    });
    expect(timelineOf([startedRunning, statusChange(5, 'running'), statusChange(7, 'compensating')])).toEqual([
      { eventId: 1, at: at(1), type: 'saga-started', workflowType: 'placeOrder' },
      { eventId: 1, at: at(1), type: 'status', status: 'running' },
      { eventId: 7, at: at(7), type: 'status', status: 'compensating' },
    ]);
  });

  it('shows an Update the saga accepted, by name', () => {
    const accepted = event(5, {
      workflowExecutionUpdateAcceptedEventAttributes: {
        protocolInstanceId: 'cancel-1',
        acceptedRequest: { meta: { updateId: 'cancel-1' }, input: { name: 'cancelSaga' } },
      },
    });
    expect(timelineOf([accepted])).toEqual([{ eventId: 5, at: at(5), type: 'update', name: 'cancelSaga' }]);
  });

  it.each([
    ['cancelled', { workflowExecutionCanceledEventAttributes: {} }],
    ['terminated', { workflowExecutionTerminatedEventAttributes: { reason: 'stuck' } }],
    ['timed-out', { workflowExecutionTimedOutEventAttributes: {} }],
  ])('shows a saga that closed %s', (outcome, attributes) => {
    expect(timelineOf([event(9, attributes)])).toEqual([{ eventId: 9, at: at(9), type: 'saga-closed', outcome }]);
  });

  it('shows a saga that compensated as failed by the business failure inside its SagaCompensated', () => {
    const failure = ApplicationFailure.create({
      type: SagaFailureType.SagaCompensated,
      message: 'compensated after chargePayment failed: PaymentDeclined: The card was declined. (undone: reserveStock)',
      nonRetryable: true,
      cause: new ActivityFailure(
        'Activity task failed',
        'chargePayment',
        'action:chargePayment:1.1',
        RetryState.NON_RETRYABLE_FAILURE,
        'payments-worker',
        cardDeclined(),
      ),
    });
    const closed = event(20, { workflowExecutionFailedEventAttributes: { failure: encoded(failure) } });

    expect(timelineOf([closed])).toEqual([
      {
        eventId: 20,
        at: at(20),
        type: 'saga-closed',
        outcome: 'failed',
        failure: { type: 'PaymentDeclined', message: 'The card was declined.' },
      },
    ]);
  });

  it('shows any other failure of the engine as it is, its cause aside', () => {
    const failure = ApplicationFailure.create({
      type: SagaFailureType.CompensationFailed,
      message: '1 compensation(s) failed: reserveStock (InventoryDown: no answer)',
      nonRetryable: true,
      cause: cardDeclined(),
    });
    const [closed] = timelineOf([event(20, { workflowExecutionFailedEventAttributes: { failure: encoded(failure) } })]);
    expect(closed).toMatchObject({
      outcome: 'failed',
      failure: { type: 'CompensationFailed', message: failure.message },
    });
  });
});

describe('dateOf', () => {
  it('reads a timestamp whose seconds are a Long, as protobufjs decodes int64', () => {
    expect(dateOf({ seconds: Long.fromNumber(startSeconds), nanos: 0 })?.toISOString()).toBe(
      '2026-01-05T10:00:00.000Z',
    );
  });

  it('reads seconds that do not fit in 32 bits', () => {
    expect(dateOf({ seconds: Long.fromNumber(7_258_118_400) })?.toISOString()).toBe('2200-01-01T00:00:00.000Z');
  });

  it('reads a timestamp whose seconds are a number, as decoded where Long is not loaded', () => {
    // The generated types only say Long; protobufjs gives a number when it has no Long implementation.
    const seconds = startSeconds as unknown as Long;
    expect(dateOf({ seconds, nanos: 250_000_000 })?.toISOString()).toBe('2026-01-05T10:00:00.250Z');
  });

  it('drops what is below a millisecond, so that a time never rounds up into the next one', () => {
    expect(dateOf({ seconds: Long.fromNumber(startSeconds), nanos: 999_999_999 })?.toISOString()).toBe(
      '2026-01-05T10:00:00.999Z',
    );
    expect(dateOf({ seconds: Long.fromNumber(startSeconds), nanos: 1_500_000 })?.toISOString()).toBe(
      '2026-01-05T10:00:00.001Z',
    );
  });

  it('reads missing seconds as the epoch, and no timestamp as no date', () => {
    expect(dateOf({ nanos: 5_000_000 })?.toISOString()).toBe('1970-01-01T00:00:00.005Z');
    expect(dateOf(null)).toBeUndefined();
    expect(dateOf(undefined)).toBeUndefined();
  });
});

describe('searchAttributesOf', () => {
  it('decodes each search attribute by name: keywords as strings, lists as arrays, numbers, datetimes as ISO text', () => {
    const fields = {
      SagaStatus: defaultPayloadConverter.toPayload('needs_attention'),
      Tags: defaultPayloadConverter.toPayload(['priority', 'gift']),
      OrderTotal: defaultPayloadConverter.toPayload(7499),
      Placed: defaultPayloadConverter.toPayload(new Date('2026-01-05T10:00:00.000Z')),
    };
    expect(searchAttributesOf(fields)).toEqual({
      SagaStatus: 'needs_attention',
      Tags: ['priority', 'gift'],
      OrderTotal: 7499,
      Placed: '2026-01-05T10:00:00.000Z',
    });
  });

  it('reads no search attributes as none', () => {
    expect(searchAttributesOf(null)).toEqual({});
    expect(searchAttributesOf(undefined)).toEqual({});
  });
});
