/** The saga's policies, each with its default. Enums are a const object plus a type of the same name. */
import type { Duration, RetryPolicy } from '@temporalio/common';

/** In which order the compensations of completed steps run. */
export const CompensationOrder = {
  /** The last completed step is undone first; a parallel group's steps are undone together. */
  ReverseSequential: 'reverse-sequential',
  /** Every compensation at once. */
  Parallel: 'parallel',
} as const;
export type CompensationOrder = (typeof CompensationOrder)[keyof typeof CompensationOrder];

/** What the saga does when a compensation fails after its activity's own retries. */
export const CompensationFailurePolicy = {
  /**
   * Try the compensation again, with backoff, until it succeeds. Its activities retry without limit; a failure they
   * do not retry (non-retryable) is tried again by the engine, and after `retryLimit` such runs the compensation
   * is escalated as under `escalate`.
   */
  Retry: 'retry',
  /** Record the failure, run the remaining compensations, and report every failure at the end. */
  Continue: 'continue',
  /**
   * Stop and ask a human: the saga enters `needs_attention` and waits for the `resolveCompensation` Update
   * (retry, skip or abort).
   */
  Escalate: 'escalate',
} as const;
export type CompensationFailurePolicy = (typeof CompensationFailurePolicy)[keyof typeof CompensationFailurePolicy];

/** Backoff between the engine's own retries: a forward step after the pivot, a compensation under `retry`. */
export interface Backoff {
  /** @default '1 second' */
  initialInterval?: Duration;
  /** @default 2 */
  backoffCoefficient?: number;
  /** @default '5 minutes' */
  maximumInterval?: Duration;
}

/** `Step`: the saga's step names, when it declares them in `steps`; then a misspelt step name is a compile error. */
export interface SagaOptions<Step extends string = string> {
  /**
   * Every step the saga may run, in order, so that its state and Web UI table show what is still to come. Declared
   * here, they are also the only names the saga's `step`, `parallel` and `idempotencyKeyOf` accept.
   * @default [] (steps appear as they start, under any name)
   */
  steps?: readonly Step[];
  /** @default 'reverse-sequential' */
  compensationOrder?: CompensationOrder;
  /** @default 'retry' */
  onCompensationFailure?: CompensationFailurePolicy;
  /**
   * Retry policy of compensation activities, merged over their own.
   * @default under 'continue' and 'escalate' `{ maximumAttempts: 3 }` (so that a failure reaches the policy);
   * under 'retry' the activity's own policy
   */
  compensationRetry?: RetryPolicy;
  /** @default { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' } */
  retryBackoff?: Backoff;
  /**
   * How many times in a row the engine itself runs a step again after the pivot, or a compensation under `retry`,
   * before it asks an operator (`needs_attention`; the `resolveCompensation` Update retries or aborts). Transient
   * failures never count: under those two the step's activities retry without limit, on the server, which adds no
   * history event per attempt. Only a failure the activity will not retry (a non-retryable failure, a
   * schedule-to-close timeout) costs a run of the engine's loop, about a dozen history events; this limit is what
   * keeps a saga's history bounded however long a step keeps failing.
   * @default 10
   */
  retryLimit?: number;
  /**
   * The whole saga's deadline, counted from its start. When it passes before the pivot, the running step is
   * cancelled and the saga compensates; after the pivot it is ignored, since nothing can be undone.
   * @default none
   */
  deadline?: Duration;
  /**
   * Mirror the status and current step into the `SagaStatus` and `SagaStep` search attributes, so that sagas can
   * be found by status (API lists, Web UI filters). Each change is one history event; a namespace without those
   * attributes registered must turn this off, or the upserts fail the workflow tasks.
   * @default true
   */
  searchAttributes?: boolean;
  /**
   * How long a saga runs before its current step is written to `SagaStep`; from then on every change of step is.
   * Each write is a visibility update on the server, and a saga that is done in a moment is never looked for by
   * its step: the saga that is, one whose service is down or slow, has its step written by then. Longer than a
   * healthy saga takes even queued behind a burst: under a load beyond the workers, every saga runs long, and step
   * writes that started then would add a fifth to the server's work just when it is short (the throughput
   * benchmark: 68 % of the ceiling at 2 s, 81 % without). `0`: on every change from the start. Only sagas started
   * by `startSaga` (or the HTTP trigger) wait: their starter wrote `SagaStatus` at start; others write status and
   * step on every change. One timer per saga, no workflow task while the saga is done before it fires.
   * @default '1 minute'
   */
  publishStepAfter?: Duration;
}

export const defaultRetryLimit = 10;

export const defaultPublishStepAfter = '1 minute';

export const defaultBackoff: Required<Backoff> = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
};

/** Compensation attempts under 'continue' and 'escalate' before the policy takes over. */
export const defaultBoundedCompensationRetry: RetryPolicy = { maximumAttempts: 3 };

/** Milliseconds per unit of a duration's text, by the unit's names in the `ms` package's format. */
const unitMilliseconds: [names: RegExp, milliseconds: number][] = [
  [/^(ms|msecs?|milliseconds?)?$/, 1],
  [/^(s|secs?|seconds?)$/, 1000],
  [/^(m|mins?|minutes?)$/, 60_000],
  [/^(h|hrs?|hours?)$/, 3_600_000],
  [/^(d|days?)$/, 86_400_000],
  [/^(w|weeks?)$/, 604_800_000],
  [/^(y|yrs?|years?)$/, 31_557_600_000],
];

/**
 * A duration as Temporal's options take it, in milliseconds: a number of them, or text in the `ms` package's format
 * (`'500ms'`, `'1 second'`, `'5 minutes'`, `'2h'`).
 */
export function millisecondsOf(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  // The SDK types the text with the `ms` package's template type, which this project does not resolve.
  const text = String(duration as unknown);
  const match = /^(-?\d*\.?\d+) *([a-z]*)$/i.exec(text.trim());
  const unit = match?.[2]?.toLowerCase();
  const scale = unit === undefined ? undefined : unitMilliseconds.find(([names]) => names.test(unit))?.[1];
  if (!match || scale === undefined) throw new TypeError(`'${text}' is not a duration such as '5 minutes'.`);
  return Number(match[1]) * scale;
}
