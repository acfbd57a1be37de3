/**
 * Activity proxies that know which saga step is calling them. Each step's action and compensation run inside an
 * async-local step scope; an activity called there is scheduled with the step's activity options, a summary
 * naming the step (shown on the Web UI's timeline), and under a compensation the saga's compensation retry policy.
 * `sagaActivities` applies them itself; the saga interceptor (interceptors.ts) applies them to activities called
 * through the SDK's own proxies. Both go through {@link optionsInScope}, which scopes each call once.
 */
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/common';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import { ActivityCancellationType, AsyncLocalStorage, scheduleActivity } from '@temporalio/workflow';

/** What an activity called inside a step inherits from it. */
export interface StepScope {
  step: string;
  kind: 'action' | 'compensation';
  /** The engine's attempt at this action or compensation. */
  attempt: number;
  /** What the action or compensation is handed as its `idempotencyKey`: the same on every attempt. */
  idempotencyKey: string;
  /** Activities called so far in this scope; numbers their ids. */
  calls: number;
  /** The step's one-line summary, e.g. "Reserve 2 × SKU-1". */
  summary: string | undefined;
  activityOptions: Partial<ActivityOptions> | undefined;
  /** Under a compensation: merged over the activity's retry policy. */
  retry: RetryPolicy | undefined;
}

export const stepScope = new AsyncLocalStorage<StepScope>();

/** What an activity id of a saga step says: `action:reserveStock:1.1` (kind, step, attempt, call). */
export interface StepActivity {
  kind: StepScope['kind'];
  step: string;
  attempt: number;
  call: number;
}

/**
 * Saga activities carry their step in their id, so that the event history alone (the Web UI, the HTTP timeline,
 * a replay) tells which step each activity served.
 */
export function stepActivityId({ kind, step, attempt, call }: StepActivity): string {
  return `${kind}:${step}:${attempt}.${call}`;
}

/** Reads a saga activity id back; `undefined` for any other activity. */
export function parseStepActivityId(activityId: string): StepActivity | undefined {
  const match = /^(action|compensation):(.+):(\d+)\.(\d+)$/.exec(activityId);
  if (!match) return undefined;
  return { kind: match[1] as StepScope['kind'], step: match[2]!, attempt: Number(match[3]), call: Number(match[4]) };
}

/**
 * Like `proxyActivities`, for activities that saga steps call: options are the defaults, each step's
 * `activityOptions` override them, and every call carries a summary for the Web UI.
 *
 * @example
 * const inventory = sagaActivities<InventoryActivities>({ taskQueue: 'inventory', startToCloseTimeout: '10s' });
 */
export function sagaActivities<A extends object>(options: ActivityOptions): ActivityInterfaceFor<A> {
  return new Proxy({} as ActivityInterfaceFor<A>, {
    get(_target, activityType) {
      if (typeof activityType !== 'string') throw new TypeError('Activity names are strings');
      return (...args: unknown[]) => scheduleActivity(activityType, args, optionsInScope(options, activityType));
    },
  });
}

/**
 * Set on the options {@link optionsInScope} returns, so that a call seen twice (by `sagaActivities`, then by the saga
 * interceptor) is numbered and scoped once. A symbol key: the SDK never reads it, so it never reaches the server,
 * and an interceptor in between that copies the options (`{ ...options }`) copies it along.
 */
const scopedToStep = Symbol('temporal-saga.scopedToStep');

type ScopedOptions = ActivityOptions & { [scopedToStep]?: true };

/**
 * The options an activity called now runs with. Outside a step: `base`, as it is. Inside one: `base` under the step's
 * `activityOptions`, with the step's activity id, summary and retry policy, and for an action a cancellation that
 * waits for the activity. Options it returned before come back as they are.
 */
export function optionsInScope(base: ActivityOptions, activityType: string): ActivityOptions {
  const scope = stepScope.getStore();
  if (!scope || (base as ScopedOptions)[scopedToStep]) return base;
  scope.calls += 1;
  const activityId = stepActivityId({ kind: scope.kind, step: scope.step, attempt: scope.attempt, call: scope.calls });
  const scoped: ScopedOptions = { ...withStep(scope, base, activityType), activityId, [scopedToStep]: true };
  return scoped;
}

/**
 * {@link optionsInScope} for a local activity: the step's options, summary and retry policy, but no step id (the SDK
 * names a local activity by its sequence number, whatever its options say), so no number of the step's count either.
 * Without a count to keep it is the same however often it runs: the SDK schedules a local activity again, from the
 * same options, after each long backoff.
 */
export function localOptionsInScope(base: LocalActivityOptions, activityType: string): LocalActivityOptions {
  const scope = stepScope.getStore();
  return scope ? withStep(scope, base, activityType) : base;
}

/** What a step sets on any activity it calls, remote or local. */
function withStep<Options extends ActivityOptions | LocalActivityOptions>(
  scope: StepScope,
  base: Options,
  activityType: string,
): Options {
  const merged: Options = {
    // A cancelled action is awaited until its worker reports how it ended: its compensation must not overtake it.
    ...(scope.kind === 'action' ? { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } : {}),
    ...base,
    ...scope.activityOptions,
  };
  merged.summary = stepSummary(scope, activityType);
  if (scope.retry) merged.retry = { ...merged.retry, ...scope.retry };
  return merged;
}

/**
 * What the timeline shows for a call a step makes: the step's summary, or `<step>: <what it calls>`; under a
 * compensation, `Undo …`.
 */
export function stepSummary(scope: StepScope, called: string): string {
  const label = scope.summary ?? `${scope.step}: ${called}`;
  return scope.kind === 'compensation' ? `Undo ${label}` : label;
}
