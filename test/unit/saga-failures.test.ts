/**
 * How the engine reads failures (workflows/saga/failures.ts), on the SDK's own failure classes: which failures are
 * business failures (the step did nothing, so its compensation is not needed), which are cancellations, what a
 * step's error is described as, and the failures and messages the engine itself ends a saga with.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  NexusOperationFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { HandlerError } from 'nexus-rpc';
import {
  causeChain,
  compensatedMessage,
  describeError,
  isBusinessFailure,
  isCancellation,
  isCompensatedEnding,
  SagaFailureType,
  sagaFailure,
} from '../../workflows/saga/failures';

/** An activity's failure as the workflow receives it: wrapped in an `ActivityFailure`. */
function activityFailure(retryState: RetryState, cause: Error): ActivityFailure {
  return new ActivityFailure('Activity task failed', 'reserveStock', '1', retryState, 'worker@host', cause);
}

const outOfStock = () => ApplicationFailure.nonRetryable('SKU-1 is out of stock.', 'OutOfStock');
const providerDown = () => ApplicationFailure.retryable('The payment provider is down.', 'PaymentProviderUnavailable');
/** A business failure that carries what caused it underneath, as a service's refusal may. */
const refusedWithCause = () =>
  ApplicationFailure.create({
    type: 'Undeliverable',
    message: 'No courier delivers to this address.',
    nonRetryable: true,
    cause: new Error('postal code 00000 is not served'),
  });
const startToCloseTimeout = () => new TimeoutFailure('Activity task timed out', undefined, TimeoutType.START_TO_CLOSE);

/** A Nexus operation's failure as the workflow receives it: wrapped in a `NexusOperationFailure`. */
function nexusFailure(cause: Error): NexusOperationFailure {
  return new NexusOperationFailure(
    'nexus operation completed unsuccessfully',
    5,
    'payments',
    'payments',
    'charge',
    '',
    cause,
  );
}
/** What a Nexus handler threw, as the SDK wraps it: a `HandlerError`, retryable or not. */
const handlerError = (cause: Error, retryable: boolean) =>
  new HandlerError('INTERNAL', 'Handler failed', { cause, retryableOverride: retryable });
/** An operation its handler failed (`OperationError`), as the SDK hands it over. */
const operationError = (cause: Error) =>
  ApplicationFailure.create({ type: 'OperationError', message: 'The charge failed.', nonRetryable: true, cause });

describe('causeChain', () => {
  it('walks from the error through each cause, outermost first', () => {
    const chain = activityFailure(RetryState.NON_RETRYABLE_FAILURE, refusedWithCause());
    expect([...causeChain(chain)].map((failure) => failure.name)).toEqual([
      'ActivityFailure',
      'ApplicationFailure',
      'Error',
    ]);
  });

  it('yields nothing for a thrown value that is not an object', () => {
    expect([...causeChain('boom')]).toEqual([]);
    expect([...causeChain(null)]).toEqual([]);
    expect([...causeChain(undefined)]).toEqual([]);
  });

  it('stops after 20 links, so that a cause cycle cannot hang the workflow', () => {
    const looped = new Error('loops') as Error & { cause: unknown };
    looped.cause = looped;
    expect([...causeChain(looped)]).toHaveLength(20);
  });
});

/**
 * A business failure means the step did nothing, so the engine does not run its compensation (the saga still undoes
 * the steps before it). Anything else leaves the outcome unknown: the side effect may have happened.
 */
describe('how each kind of failure is classified', () => {
  it.each([
    {
      kind: 'a non-retryable ApplicationFailure thrown by workflow code',
      business: true,
      cancellation: false,
      error: outOfStock(),
    },
    {
      kind: "an activity's non-retryable ApplicationFailure",
      business: true,
      cancellation: false,
      error: activityFailure(RetryState.NON_RETRYABLE_FAILURE, outOfStock()),
    },
    {
      kind: "an activity's business failure that carries a cause",
      business: true,
      cancellation: false,
      error: activityFailure(RetryState.NON_RETRYABLE_FAILURE, refusedWithCause()),
    },
    { kind: 'a retryable ApplicationFailure', business: false, cancellation: false, error: providerDown() },
    {
      kind: 'a retryable ApplicationFailure whose attempts ran out',
      business: false,
      cancellation: false,
      error: activityFailure(RetryState.MAXIMUM_ATTEMPTS_REACHED, providerDown()),
    },
    { kind: 'a plain Error', business: false, cancellation: false, error: new Error('socket hang up') },
    {
      kind: 'an ApplicationFailure created without nonRetryable',
      business: false,
      cancellation: false,
      error: ApplicationFailure.create({ message: 'no type, no flag' }),
    },
    {
      kind: 'a timeout',
      business: false,
      cancellation: false,
      error: activityFailure(RetryState.TIMEOUT, startToCloseTimeout()),
    },
    {
      kind: "a Nexus handler's non-retryable ApplicationFailure, in a HandlerError",
      business: true,
      cancellation: false,
      error: nexusFailure(handlerError(outOfStock(), false)),
    },
    {
      kind: 'a Nexus operation failed by its handler (OperationError)',
      business: true,
      cancellation: false,
      error: nexusFailure(operationError(outOfStock())),
    },
    {
      kind: "a Nexus workflow-run operation's workflow failure",
      business: true,
      cancellation: false,
      error: nexusFailure(outOfStock()),
    },
    {
      kind: "a Nexus handler's failure in a retryable HandlerError",
      business: false,
      cancellation: false,
      error: nexusFailure(handlerError(outOfStock(), true)),
    },
    {
      kind: "a Nexus handler's retryable failure",
      business: false,
      cancellation: false,
      error: nexusFailure(handlerError(providerDown(), false)),
    },
    {
      kind: 'a Nexus operation timed out',
      business: false,
      cancellation: false,
      error: nexusFailure(new TimeoutFailure('operation timed out', undefined, TimeoutType.SCHEDULE_TO_CLOSE)),
    },
    {
      kind: 'a cancelled Nexus operation',
      business: false,
      cancellation: true,
      error: nexusFailure(new CancelledFailure('operation canceled')),
    },
    { kind: 'a cancellation', business: false, cancellation: true, error: new CancelledFailure('Activity cancelled') },
    {
      kind: "a cancelled activity's failure",
      business: false,
      cancellation: true,
      error: activityFailure(RetryState.CANCEL_REQUESTED, new CancelledFailure('Activity cancelled')),
    },
    {
      kind: "the engine's SagaCancelled around a cancelled activity",
      business: true,
      cancellation: true,
      error: sagaFailure(
        SagaFailureType.SagaCancelled,
        'compensated after cancellation: the customer asked',
        activityFailure(RetryState.CANCEL_REQUESTED, new CancelledFailure('Activity cancelled')),
      ),
    },
  ])('$kind: business failure $business, cancellation $cancellation', ({ error, business, cancellation }) => {
    expect(isBusinessFailure(error)).toBe(business);
    expect(isCancellation(error)).toBe(cancellation);
  });

  it('reads the name and flag, not the class: a failure from across the workflow sandbox counts the same', () => {
    expect(isBusinessFailure({ name: 'ApplicationFailure', type: 'OutOfStock', nonRetryable: true })).toBe(true);
    expect(isBusinessFailure({ name: 'ApplicationFailure', type: 'OutOfStock', nonRetryable: false })).toBe(false);
    expect(isCancellation({ name: 'ActivityFailure', cause: { name: 'CancelledFailure' } })).toBe(true);
  });

  it('is neither for a thrown value that is not an error', () => {
    expect(isBusinessFailure('boom')).toBe(false);
    expect(isBusinessFailure(undefined)).toBe(false);
    expect(isCancellation('CancelledFailure')).toBe(false);
  });
});

describe('describeError', () => {
  it("describes an activity's failure by the business failure inside it, not by what lies under that", () => {
    expect(describeError(activityFailure(RetryState.NON_RETRYABLE_FAILURE, outOfStock()))).toEqual({
      type: 'OutOfStock',
      message: 'SKU-1 is out of stock.',
    });
    expect(describeError(activityFailure(RetryState.NON_RETRYABLE_FAILURE, refusedWithCause()))).toEqual({
      type: 'Undeliverable',
      message: 'No courier delivers to this address.',
    });
  });

  it("finds the step's failure through the engine's SagaCompensated", () => {
    const compensated = sagaFailure(
      SagaFailureType.SagaCompensated,
      compensatedMessage('reserveStock failed: OutOfStock: SKU-1 is out of stock.', ['createOrder'], []),
      activityFailure(RetryState.NON_RETRYABLE_FAILURE, outOfStock()),
    );
    expect(describeError(compensated)).toEqual({ type: 'OutOfStock', message: 'SKU-1 is out of stock.' });
  });

  it('names a retryable failure by its type once its attempts ran out', () => {
    expect(describeError(activityFailure(RetryState.MAXIMUM_ATTEMPTS_REACHED, providerDown()))).toEqual({
      type: 'PaymentProviderUnavailable',
      message: 'The payment provider is down.',
    });
  });

  it('names a timeout and a cancellation, which carry no type, by their class', () => {
    expect(describeError(activityFailure(RetryState.TIMEOUT, startToCloseTimeout()))).toEqual({
      type: 'TimeoutFailure',
      message: 'Activity task timed out',
    });
    expect(describeError(new CancelledFailure('Activity cancelled'))).toEqual({
      type: 'CancelledFailure',
      message: 'Activity cancelled',
    });
  });

  it('names a chain by a timeout or cancellation only where no failure in it has a type', () => {
    const cancelled = activityFailure(RetryState.CANCEL_REQUESTED, new CancelledFailure('Activity cancelled'));
    expect(
      describeError(sagaFailure(SagaFailureType.SagaCancelled, 'compensated after cancellation', cancelled)),
    ).toEqual({ type: 'SagaCancelled', message: 'compensated after cancellation' });
  });

  it('names an untyped error by its name', () => {
    expect(describeError(new TypeError('x is undefined'))).toEqual({ type: 'TypeError', message: 'x is undefined' });
    expect(describeError({ name: 'Error' })).toEqual({ type: 'Error', message: '(no message)' });
  });

  it('describes a thrown value that is not an error by its text', () => {
    expect(describeError('the warehouse is on fire')).toEqual({ type: 'Error', message: 'the warehouse is on fire' });
  });
});

describe('sagaFailure', () => {
  it.each(Object.values(SagaFailureType))('raises %s as a non-retryable ApplicationFailure of that type', (type) => {
    const failure = sagaFailure(type, 'what happened');
    expect(failure).toMatchObject({ name: 'ApplicationFailure', type, message: 'what happened', nonRetryable: true });
    expect(isBusinessFailure(failure)).toBe(true);
    expect(describeError(failure)).toEqual({ type, message: 'what happened' });
  });

  it('keeps the cause and the details it is given', () => {
    const cause = activityFailure(RetryState.NON_RETRYABLE_FAILURE, outOfStock());
    const failures = [{ step: 'reserveStock', error: { type: 'InventoryDown', message: 'no answer' } }];
    const failure = sagaFailure(SagaFailureType.CompensationFailed, '1 compensation(s) failed', cause, [failures]);
    expect(failure.cause).toBe(cause);
    expect((failure as ApplicationFailure).details).toEqual([failures]);
  });

  it('leaves out a cause that is not an Error', () => {
    expect(sagaFailure(SagaFailureType.CancelRejected, 'too late', 'shipping has it').cause).toBeUndefined();
  });
});

describe('compensatedMessage', () => {
  it('says what stopped the saga, then what was undone, newest first as given', () => {
    expect(
      compensatedMessage(
        'requestShipment failed: Undeliverable: No courier delivers to this address.',
        ['chargePayment', 'reserveStock', 'createOrder'],
        [],
      ),
    ).toBe(
      'compensated after requestShipment failed: Undeliverable: No courier delivers to this address. ' +
        '(undone: chargePayment, reserveStock, createOrder)',
    );
  });

  it('lists the compensations an operator skipped after those undone', () => {
    expect(compensatedMessage('cancellation: changed my mind', ['createOrder'], ['reserveStock'])).toBe(
      'compensated after cancellation: changed my mind (undone: createOrder; skipped: reserveStock)',
    );
  });

  it('says so when there was nothing to undo', () => {
    expect(compensatedMessage('reserveStock failed: OutOfStock: none left', [], [])).toBe(
      'compensated after reserveStock failed: OutOfStock: none left (nothing to undo)',
    );
  });
});

describe('isCompensatedEnding', () => {
  const message = compensatedMessage('the deadline: 1 hour', ['reserveStock'], []);

  it.each([SagaFailureType.SagaCompensated, SagaFailureType.SagaCancelled, SagaFailureType.SagaDeadlineExceeded])(
    'recognises a %s ending',
    (type) => {
      expect(isCompensatedEnding(sagaFailure(type, message))).toBe(true);
    },
  );

  it("recognises it by the message alone, as a worker's logger receives the failure, without its type", () => {
    expect(isCompensatedEnding(new Error(message))).toBe(true);
    expect(isCompensatedEnding({ message })).toBe(true);
  });

  it('does not count a failure that left work undone, or any other error', () => {
    expect(isCompensatedEnding(sagaFailure(SagaFailureType.CompensationFailed, '1 compensation(s) failed'))).toBe(
      false,
    );
    expect(isCompensatedEnding(outOfStock())).toBe(false);
    expect(isCompensatedEnding(new Error(`Step failed: ${message}`))).toBe(false);
    expect(isCompensatedEnding(message)).toBe(false);
    expect(isCompensatedEnding(undefined)).toBe(false);
  });
});
