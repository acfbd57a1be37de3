/**
 * Activity proxies that know which saga step is calling them. Each step's action and compensation run inside an
 * async-local step scope; an activity called there is scheduled with the step's activity options, a summary
 * naming the step (shown on the Web UI's timeline), and under a compensation the saga's compensation retry policy.
 */
import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import { AsyncLocalStorage, scheduleActivity } from '@temporalio/workflow';

/** What an activity called inside a step inherits from it. */
export interface StepScope {
  step: string;
  kind: 'action' | 'compensation';
  /** The step's one-line summary, e.g. "Reserve 2 × SKU-1". */
  summary: string | undefined;
  activityOptions: Partial<ActivityOptions> | undefined;
  /** Under a compensation: merged over the activity's retry policy. */
  retry: RetryPolicy | undefined;
}

export const stepScope = new AsyncLocalStorage<StepScope>();

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

function optionsInScope(base: ActivityOptions, activityType: string): ActivityOptions {
  const scope = stepScope.getStore();
  if (!scope) return base;
  const merged: ActivityOptions = { ...base, ...scope.activityOptions };
  const label = scope.summary ?? `${scope.step}: ${activityType}`;
  merged.summary = scope.kind === 'compensation' ? `Undo ${label}` : label;
  if (scope.retry) merged.retry = { ...merged.retry, ...scope.retry };
  return merged;
}
