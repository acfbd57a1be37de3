/**
 * Nexus operations as a step's action or compensation, for services that other teams own in namespaces of their
 * own. A step calls an operation through the SDK's own `createNexusServiceClient`, on a worker that installs the
 * saga interceptor (interceptors.ts), and the operation gets what an activity of the step gets:
 *
 * - the step's summary on the Web UI's timeline ("Undo …" under a compensation);
 * - a cancellation that waits for the operation to end (`WAIT_CANCELLATION_COMPLETED`, whatever the call asked):
 *   a cancelled action is never abandoned, so its compensation cannot overtake it;
 * - the step's idempotency key and name in Nexus headers ({@link SagaNexusHeader}), for the handler: a workflow-run
 *   operation started under the key is the same operation on every attempt of the step.
 *
 * Failures are read as an activity's are (failures.ts): a handler's non-retryable `ApplicationFailure` is a business
 * failure, however the SDK wrapped it on its way; a timeout leaves the outcome unknown, and the step is compensated.
 */
import type { StartNexusOperationInput } from '@temporalio/workflow';
import { NexusOperationCancellationType } from '@temporalio/workflow';
import { stepScope } from './activities';

/** The Nexus headers a step's operation carries. Nexus header names are case-insensitive: these are lower case. */
export const SagaNexusHeader = {
  /** The idempotency key the action or compensation is handed: `<workflowId>/<step>`, `…/compensate`. */
  IdempotencyKey: 'temporal-saga-idempotency-key',
  /** Which step called, what for, and the engine's attempt: `action:charge:1`, `compensation:charge:2`. */
  Step: 'temporal-saga-step',
} as const;

/** The operation as a step calls it: its summary, a cancellation that waits, and the step's headers. */
export function nexusOperationInScope(input: StartNexusOperationInput): StartNexusOperationInput {
  const scope = stepScope.getStore();
  if (!scope) return input;
  const label = scope.summary ?? `${scope.step}: ${input.service}.${input.operation}`;
  return {
    ...input,
    headers: {
      ...input.headers,
      [SagaNexusHeader.IdempotencyKey]: scope.idempotencyKey,
      [SagaNexusHeader.Step]: `${scope.kind}:${scope.step}:${scope.attempt}`,
    },
    options: {
      ...input.options,
      summary: scope.kind === 'compensation' ? `Undo ${label}` : label,
      ...(scope.kind === 'action'
        ? { cancellationType: NexusOperationCancellationType.WAIT_CANCELLATION_COMPLETED }
        : {}),
    },
  };
}
