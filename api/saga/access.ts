/**
 * Who may do what with a saga's routes: the trigger asks its declaration's {@link SagaAccess} before every action,
 * with the {@link Caller} the app's authentication established (api/authentication.ts in the order system). A saga
 * someone may not read does not exist for them: its routes answer 404, as for an id that names nothing, so that
 * nobody learns which ids are taken. What a caller may not do to something they can see is a 403.
 */
import type { TypedSearchAttributes } from '@temporalio/common';
import type { z } from 'zod';

/** The authenticated caller of a route. */
export interface Caller {
  /** Who: a customer id, an operator's name. */
  subject: string;
  /** Operators may do everything, to every saga. */
  operator: boolean;
}

/** What the trigger knows of an existing saga when it asks whether a caller may touch it. */
export interface SagaFacts {
  workflowId: string;
  /** Its search attributes, as visibility has them (the owner's id, when the saga keeps one there). */
  searchAttributes: TypedSearchAttributes;
}

/** The answer for a list: every saga, only those a visibility clause selects, or none. */
export type ListScope = { scope: 'all' } | { scope: 'some'; clause: string } | { scope: 'none' };

/** A saga declaration's authorization hook, asked per action. */
export interface SagaAccess<Input> {
  /** May `caller` start a saga with this (valid) input? */
  start: (caller: Caller, input: Input) => boolean;
  /** Which sagas a list by `caller` may show. */
  list: (caller: Caller) => ListScope;
  /** May `caller` see this saga at all (its state, and that it exists)? */
  read: (caller: Caller, saga: SagaFacts) => boolean;
  /** May `caller`, who can read the saga, cancel it? */
  cancel: (caller: Caller, saga: SagaFacts) => boolean;
  /**
   * How much of the saga's history `caller`, who can read the saga, may see: its timeline only, or also the raw
   * events (which hold every payload, encrypted, and the workers' failures).
   */
  history: (caller: Caller, saga: SagaFacts) => 'timeline' | 'events';
  /** May `caller` resolve the saga's escalated compensation? */
  resolve: (caller: Caller, saga: SagaFacts) => boolean;
}

/** Operators only: what a saga declared without `access` has. */
export const operatorsOnly: SagaAccess<unknown> = {
  start: (caller) => caller.operator,
  list: (caller) => (caller.operator ? { scope: 'all' } : { scope: 'none' }),
  read: (caller) => caller.operator,
  cancel: (caller) => caller.operator,
  history: () => 'events',
  resolve: (caller) => caller.operator,
};

/**
 * Sagas owned by the caller whose subject is a keyword search attribute of theirs (a customer's orders, by
 * `CustomerId`): an owner starts, reads, lists and cancels their own and sees each one's timeline; operators do
 * everything, raw events and resolutions included. `subject` validates a subject before it reaches a visibility
 * query, so that no subject can inject a clause: a caller whose subject it refuses owns nothing.
 */
export function ownedBy<Input>(options: {
  /** The owner a start input names, e.g. `input.customerId`. */
  ownerOf: (input: Input) => string;
  /** The search attribute the saga keeps its owner in, set at start. */
  searchAttribute: { name: string; type: 'KEYWORD' };
  /** The owner ids there may be; their characters must need no quoting in a visibility query. */
  subject: z.ZodType<string>;
}): SagaAccess<Input> {
  const validSubject = (caller: Caller) => options.subject.safeParse(caller.subject).success;
  const owns = (caller: Caller, saga: SagaFacts) =>
    caller.operator || (validSubject(caller) && saga.searchAttributes.get(options.searchAttribute) === caller.subject);
  return {
    start: (caller, input) => caller.operator || (validSubject(caller) && options.ownerOf(input) === caller.subject),
    list: (caller) => {
      if (caller.operator) return { scope: 'all' };
      if (!validSubject(caller)) return { scope: 'none' };
      return { scope: 'some', clause: `${options.searchAttribute.name} = '${caller.subject}'` };
    },
    read: owns,
    cancel: owns,
    history: (caller) => (caller.operator ? 'events' : 'timeline'),
    resolve: (caller) => caller.operator,
  };
}

const callers = new WeakMap<object, Caller>();

/** Records the caller authentication found for `req`, for the guards after it (the rate limits). */
export function setCallerOf(req: object, caller: Caller): void {
  callers.set(req, caller);
}

/** The authenticated caller of `req`, once authentication ran; `undefined` before. */
export function callerOf(req: object): Caller | undefined {
  return callers.get(req);
}
