/**
 * The access policies a saga declares: `ownedBy` (an owner does what concerns their own sagas, operators
 * everything, and a subject the schema refuses owns nothing, so it never reaches a visibility query) and
 * `operatorsOnly`, asked as the trigger asks them, with search attributes as visibility returns them.
 */
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { z } from 'zod';
import type { Caller, SagaAccess, SagaFacts } from '../../api/saga/access';
import { operatorsOnly, ownedBy } from '../../api/saga/access';

const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);

const access = ownedBy<{ customerId: string }>({
  ownerOf: (input) => input.customerId,
  searchAttribute: CustomerIdKey,
  subject: z.string().regex(/^[A-Za-z0-9._@:-]{1,64}$/),
});

const customer: Caller = { subject: 'customer-1', operator: false };
const otherCustomer: Caller = { subject: 'customer-2', operator: false };
const operator: Caller = { subject: 'ops@example.com', operator: true };
const injecting: Caller = { subject: "x'OR'1'='1", operator: false };

/** A saga as visibility describes it, owned by `customerId` (none: no owner recorded). */
function sagaOwnedBy(customerId?: string): SagaFacts {
  return {
    workflowId: 'order-1',
    searchAttributes: new TypedSearchAttributes(
      customerId === undefined ? [] : [{ key: CustomerIdKey, value: customerId }],
    ),
  };
}

/** Every answer of `policy` for `caller`, on a saga of customer-1 that they start with their own id. */
function answersOf(policy: SagaAccess<{ customerId: string }>, caller: Caller) {
  const saga = sagaOwnedBy('customer-1');
  return {
    start: policy.start(caller, { customerId: 'customer-1' }),
    list: policy.list(caller),
    read: policy.read(caller, saga),
    cancel: policy.cancel(caller, saga),
    history: policy.history(caller, saga),
    resolve: policy.resolve(caller, saga),
  };
}

describe('ownedBy', () => {
  it('lets a customer start, list, read and cancel their own saga and see its timeline, but not resolve it', () => {
    expect(answersOf(access, customer)).toEqual({
      start: true,
      list: { scope: 'some', clause: "CustomerId = 'customer-1'" },
      read: true,
      cancel: true,
      history: 'timeline',
      resolve: false,
    });
  });

  it("gives another customer nothing of it, and lists only that customer's own", () => {
    expect(answersOf(access, otherCustomer)).toEqual({
      start: false,
      list: { scope: 'some', clause: "CustomerId = 'customer-2'" },
      read: false,
      cancel: false,
      history: 'timeline',
      resolve: false,
    });
  });

  it('lets an operator do everything, raw events and resolutions included', () => {
    expect(answersOf(access, operator)).toEqual({
      start: true,
      list: { scope: 'all' },
      read: true,
      cancel: true,
      history: 'events',
      resolve: true,
    });
  });

  it('gives a caller whose subject the schema refuses nothing, not even a saga recorded under that subject', () => {
    expect(answersOf(access, injecting)).toEqual({
      start: false,
      list: { scope: 'none' },
      read: false,
      cancel: false,
      history: 'timeline',
      resolve: false,
    });
    const recordedUnderIt = sagaOwnedBy(injecting.subject);
    expect(access.start(injecting, { customerId: injecting.subject })).toBe(false);
    expect([access.read(injecting, recordedUnderIt), access.cancel(injecting, recordedUnderIt)]).toEqual([
      false,
      false,
    ]);
  });

  it('lets an operator start a saga for any customer, and a customer for no one else', () => {
    expect(access.start(operator, { customerId: 'customer-2' })).toBe(true);
    expect(access.start(customer, { customerId: 'customer-2' })).toBe(false);
  });

  it('gives a customer no saga without an owner, and an operator every one', () => {
    const unowned = sagaOwnedBy();
    expect([access.read(customer, unowned), access.cancel(customer, unowned)]).toEqual([false, false]);
    expect([access.read(operator, unowned), access.cancel(operator, unowned)]).toEqual([true, true]);
  });
});

describe('operatorsOnly', () => {
  it('lets an operator do everything', () => {
    expect(answersOf(operatorsOnly, operator)).toEqual({
      start: true,
      list: { scope: 'all' },
      read: true,
      cancel: true,
      history: 'events',
      resolve: true,
    });
  });

  it.each([
    ['a customer', customer],
    ['a caller with a refused subject', injecting],
  ])('gives %s nothing, not even their own saga', (_who, caller) => {
    // `history` is asked only of a caller who may read the saga, which these may not.
    expect(answersOf(operatorsOnly, caller)).toMatchObject({
      start: false,
      list: { scope: 'none' },
      read: false,
      cancel: false,
      resolve: false,
    });
  });
});
