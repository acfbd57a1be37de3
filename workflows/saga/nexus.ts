/**
 * Nexus operations as a step's action or compensation, for services that other teams own in namespaces of their
 * own. A step calls an operation through the SDK's own `createNexusServiceClient`, on a worker that installs the
 * saga interceptor (interceptors.ts), and the operation gets what an activity of the step gets:
 *
 * - the step's summary on the Web UI's timeline ("Undo …" under a compensation);
 * - a cancellation that waits for the operation to end (`WAIT_CANCELLATION_COMPLETED`, whatever the call asked):
 *   a cancelled action is never abandoned, so its compensation cannot overtake it;
 * - under a bounded compensation retry policy (`continue`, `escalate`), a compensation's operation bounded in time
 *   ({@link compensationTimeoutMs}), so that an undo that keeps failing reaches the policy as an activity's does;
 * - the step's idempotency key and name in Nexus headers ({@link SagaNexusHeader}), for the handler to make its
 *   effect idempotent on, as an activity does.
 *
 * Failures are read as an activity's are (failures.ts): a handler's non-retryable `ApplicationFailure` is a business
 * failure, however the SDK wrapped it on its way; a timeout leaves the outcome unknown, and the step is compensated.
 */
import type { StartNexusOperationInput, StartNexusOperationOptions } from '@temporalio/workflow';
import { createNexusServiceClient, NexusOperationCancellationType } from '@temporalio/workflow';
import type * as nexus from 'nexus-rpc';
import type { RetryPolicy } from '@temporalio/common';
import type { StepScope } from './activities';
import { stepScope, stepSummary } from './activities';
import { millisecondsOf } from './options';

/** The Nexus headers a step's operation carries. Nexus header names are case-insensitive: these are lower case. */
export const SagaNexusHeader = {
  /** The idempotency key the action or compensation is handed: `<workflowId>/<step>`, `…/compensate`. */
  IdempotencyKey: 'temporal-saga-idempotency-key',
  /** Which step called, what for, and the engine's attempt: `action:charge:1`, `compensation:charge:2`. */
  Step: 'temporal-saga-step',
} as const;

/** Which step called, what for, and the engine's attempt, as {@link SagaNexusHeader.Step} carries it. */
export interface SagaStepCall {
  step: string;
  kind: StepScope['kind'];
  attempt: number;
}

/** {@link SagaNexusHeader.Step}'s value for a call from `scope`: `action:charge:1`. */
function stepHeader({ kind, step, attempt }: SagaStepCall): string {
  return `${kind}:${step}:${attempt}`;
}

/** Reads {@link SagaNexusHeader.Step}'s value back; `undefined` for any other. */
export function parseStepHeader(value: string): SagaStepCall | undefined {
  const match = /^(action|compensation):(.+):(\d+)$/.exec(value);
  if (!match) return undefined;
  return { kind: match[1] as StepScope['kind'], step: match[2]!, attempt: Number(match[3]) };
}

/**
 * How long one attempt of a handler may take, for {@link compensationTimeoutMs}: what the server gives a synchronous
 * handler to answer (10 s) before it retries.
 */
const handlerAttemptMs = 10_000;

/**
 * The time a compensation's operation gets under a bounded retry policy: as long as its attempts would take, each
 * {@link handlerAttemptMs} and the policy's backoff between them. A Nexus operation has no attempt count (the server
 * retries a failing handler until the operation's timeout), so the policy's attempts bound it in time instead; on
 * that timeout the compensation has failed, and the saga's policy decides (an operator, under `escalate`).
 * Undefined for a policy without a limit.
 */
export function compensationTimeoutMs(retry: RetryPolicy | undefined): number | undefined {
  const attempts = retry?.maximumAttempts;
  if (!attempts || !Number.isFinite(attempts)) return undefined;
  const initial = retry.initialInterval === undefined ? 1000 : millisecondsOf(retry.initialInterval);
  const maximum = retry.maximumInterval === undefined ? initial * 100 : millisecondsOf(retry.maximumInterval);
  const coefficient = retry.backoffCoefficient ?? 2;
  let backoff = 0;
  for (let attempt = 1; attempt < attempts; attempt++)
    backoff += Math.min(initial * coefficient ** (attempt - 1), maximum);
  return attempts * handlerAttemptMs + backoff;
}

/** The operation as a step calls it: its summary, a cancellation that waits, and the step's headers. */
export function nexusOperationInScope(input: StartNexusOperationInput): StartNexusOperationInput {
  const scope = stepScope.getStore();
  if (!scope) return input;
  const bound = scope.kind === 'compensation' ? compensationTimeoutMs(scope.retry) : undefined;
  return {
    ...input,
    headers: {
      ...input.headers,
      [SagaNexusHeader.IdempotencyKey]: scope.idempotencyKey,
      [SagaNexusHeader.Step]: stepHeader(scope),
    },
    options: {
      ...input.options,
      summary: stepSummary(scope, `${input.service}.${input.operation}`),
      ...(scope.kind === 'action'
        ? { cancellationType: NexusOperationCancellationType.WAIT_CANCELLATION_COMPLETED }
        : {}),
      ...(bound !== undefined && input.options.scheduleToCloseTimeout === undefined
        ? { scheduleToCloseTimeout: bound }
        : {}),
    },
  };
}

/** A Nexus service's operations as functions of their input, as `sagaActivities` gives activities. */
export type SagaNexusOperations<Ops extends nexus.OperationMap> = {
  [K in nexus.OperationKey<Ops>]: (input: nexus.OperationInput<Ops[K]>) => Promise<nexus.OperationOutput<Ops[K]>>;
};

/**
 * Like `sagaActivities`, for a Nexus service that saga steps call: each operation is a function of its input, called
 * through `endpoint` with `options`, and inside a step, on a worker with the saga interceptor, with what
 * {@link nexusOperationInScope} adds. A saga can then reach a service through either wiring with the same code.
 *
 * @example
 * const payments = sagaNexusOperations('payments-endpoint', paymentsService);
 * await saga.step('charge', { action: ({ idempotencyKey }) => payments.charge({ idempotencyKey, amountCents }) });
 */
export function sagaNexusOperations<Ops extends nexus.OperationMap>(
  endpoint: string,
  service: nexus.ServiceDefinition<Ops>,
  options: Partial<StartNexusOperationOptions> = {},
): SagaNexusOperations<Ops> {
  const client = createNexusServiceClient({ endpoint, service });
  return new Proxy({} as SagaNexusOperations<Ops>, {
    get(_target, operation) {
      if (typeof operation !== 'string') throw new TypeError('Operation names are strings');
      return (input: unknown) =>
        client.executeOperation(operation as nexus.OperationKey<Ops>, input as never, options) as Promise<unknown>;
    },
  });
}
