/**
 * Saga counters on the worker's metrics (the Prometheus endpoint when a worker runs with `METRICS_PORT`):
 * `saga_started`, and one counter per outcome a saga reaches, `saga_completed`, `saga_compensated`,
 * `saga_needs_attention` and `saga_failed`. The SDK tags each with the namespace, task queue and workflow type,
 * and emits nothing while a workflow replays: each start or transition counts once, however often its history is
 * replayed. A saga escalated twice counts twice in `saga_needs_attention`.
 */
import { metricMeter } from '@temporalio/workflow';
import { SagaStatus } from './state';

const countedOutcomes: ReadonlySet<SagaStatus> = new Set([
  SagaStatus.Completed,
  SagaStatus.Compensated,
  SagaStatus.NeedsAttention,
  SagaStatus.Failed,
]);

export function countSagaStarted(): void {
  metricMeter.createCounter('saga_started', 'sagas', 'Sagas started').add(1);
}

/** Counts a saga reaching `status`, when that status is an outcome (or an operator's call). */
export function countSagaReached(status: SagaStatus): void {
  if (!countedOutcomes.has(status)) return;
  metricMeter.createCounter(`saga_${status}`, 'sagas', `Sagas that reached '${status}'`).add(1);
}
