/**
 * How many sagas wait for an operator now: a gauge on the worker's metrics, beside the sagas' own counters.
 *
 * The counters (`saga_needs_attention`, …) are counted by workflow code, once per transition, so they say how often
 * sagas escalated, never how many still wait: a saga that an operator resolves counts nothing down. The gauge is
 * counted where the truth is instead: visibility, by the `SagaStatus` search attribute that the engine keeps
 * current, one count request every interval however many sagas there are. Every worker process that runs it reports
 * the same number, so take the maximum across processes, not the sum.
 */
import type { Client } from '@temporalio/client';
import type { MetricMeter, MetricTags } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import { SagaStatus, SagaStatusKey } from '../../workflows/saga';

/** The gauge's name on the Prometheus endpoint. */
export const needsAttentionGaugeName = 'saga_needs_attention_current';

export interface NeedsAttentionGaugeOptions {
  /** Counts through this client's connection, in its namespace. */
  client: Client;
  /** Where the gauge is recorded. @default the SDK runtime's meter (`Runtime.instance().metricMeter`) */
  meter?: MetricMeter;
  /** Time between two counts; a count must answer within it. @default 10000 */
  intervalMs?: number;
  /**
   * Which sagas count, as a visibility query, e.g. `WorkflowType = 'placeOrder' AND TaskQueue = 'orders'`; only
   * running ones in `needs_attention` among them. @default every saga of the namespace
   */
  query?: string;
  /** The gauge's labels. @default `{ namespace }` */
  tags?: MetricTags;
  /**
   * Hears a count that failed (Temporal did not answer); the gauge keeps its last value until a count succeeds.
   * @default a warning on the runtime's logger, the first time of each run of failures
   */
  onError?: (error: unknown) => void;
}

export interface NeedsAttentionGauge {
  /** Stops counting; resolves once a count in flight has ended, so that the client's connection may close. */
  stop(): Promise<void>;
}

/** The visibility query of the running sagas in `needs_attention` that `query` selects. */
function needsAttentionQuery(query?: string): string {
  const waiting = `${SagaStatusKey.name} = '${SagaStatus.NeedsAttention}' AND ExecutionStatus = 'Running'`;
  return query ? `(${query}) AND ${waiting}` : waiting;
}

/**
 * Counts the sagas in `needs_attention` now and every `intervalMs` after, and records the count on the gauge
 * {@link needsAttentionGaugeName}. Counts never overlap: the next is scheduled when the last has answered.
 */
export function startNeedsAttentionGauge({
  client,
  meter = Runtime.instance().metricMeter,
  intervalMs = 10_000,
  query,
  tags = { namespace: client.options.namespace },
  onError,
}: NeedsAttentionGaugeOptions): NeedsAttentionGauge {
  const gauge = meter.createGauge(needsAttentionGaugeName, 'int', 'sagas', 'Sagas waiting for an operator now');
  const visibilityQuery = needsAttentionQuery(query);
  let failing = false;
  const report = (error: unknown) => {
    const firstFailure = !failing;
    failing = true;
    if (onError) {
      try {
        onError(error);
      } catch {
        // A listener that throws must not end the counting, nor the worker with an unhandled rejection.
      }
    } else if (firstFailure) {
      Runtime.instance().logger.warn(`Counting the sagas in needs_attention failed: ${String(error)}`, {
        query: visibilityQuery,
      });
    }
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const count = async (): Promise<void> => {
    try {
      const { count: waiting } = await client.connection.withDeadline(Date.now() + intervalMs, () =>
        client.workflow.count(visibilityQuery),
      );
      if (!stopped) gauge.set(waiting, tags);
      failing = false;
    } catch (error) {
      if (!stopped) report(error);
    }
  };
  const countThenWait = async (): Promise<void> => {
    await count();
    if (stopped) return;
    // countThenWait never rejects: a failed count is reported, and the next one scheduled.
    timer = setTimeout(() => {
      inFlight = countThenWait();
    }, intervalMs);
    // The gauge never keeps a process alive: a worker that has stopped may exit.
    timer.unref();
  };
  inFlight = countThenWait();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
