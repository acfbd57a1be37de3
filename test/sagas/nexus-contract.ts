/**
 * A payments service as another team would publish it for the engine's Nexus tests: the contract, and nothing
 * else. The saga (workflows.ts) depends on this and on an endpoint name; the handler is nexus-handler.ts.
 */
import * as nexus from 'nexus-rpc';
import type { ActivityInput } from './activities';

/** How the test handler answers a charge. */
export type ChargeBehaviour =
  | 'succeed'
  /** Throws a non-retryable `ApplicationFailure` (`PaymentDeclined`): it arrives wrapped in a `HandlerError`. */
  | 'declineByHandlerError'
  /** Fails the operation (`OperationError`) with that failure as its cause. */
  | 'declineByOperationError'
  /** Takes longer than any test's operation timeout, on every attempt. */
  | 'hang';

/**
 * What the hold's workflow does: hold the funds at once, hold them until cancelled, or fail (`InsufficientFunds`);
 * `slowStartUntilCancelled`: the handler takes a second to start that workflow, which then holds until cancelled.
 */
/** How the test handler answers a release: at once, or never (the provider unavailable, retried by the server). */
export type ReleaseBehaviour = 'succeed' | 'unavailable';

export type HoldBehaviour = 'hold' | 'holdUntilCancelled' | 'slowStartUntilCancelled' | 'decline';

export const testPayments = nexus.service('testPayments', {
  /** Synchronous. */
  charge: nexus.operation<{ behaviour: ChargeBehaviour }, string>(),
  /** Synchronous: undoes a charge. */
  refund: nexus.operation<Record<string, never>, string>(),
  /** Asynchronous: a workflow (`heldFunds`) that holds the funds. */
  hold: nexus.operation<{ behaviour: HoldBehaviour }, string>(),
  /** Synchronous: undoes a hold. */
  release: nexus.operation<{ behaviour?: ReleaseBehaviour }, string>(),
});

/**
 * The test activities (activities.ts) as Nexus operations, for a scripted saga whose steps are all Nexus operations
 * (`nexusEndpoint`): what the overhead benchmark compares with the same steps as activities.
 */
export const testSteps = nexus.service('testSteps', {
  perform: nexus.operation<ActivityInput, string>(),
  undo: nexus.operation<ActivityInput, string>(),
});
