/**
 * What publishes a saga's journal (journal.ts) to the world: the `SagaStatus` and `SagaStep` search attributes,
 * the Web UI's current details, the memo a finished saga leaves behind, and the worker's saga metrics. The saga
 * run picks the observers; each publishes from the saga's state, never changes it.
 */
import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { renderSagaTable } from './current-details';
import type { SagaObserver } from './journal';
import { countSagaReached, countSagaStarted } from './metrics';
import { SagaStatusKey, SagaStepKey } from './search-attributes';
import type { SagaState } from './state';
import { SagaStatus } from './state';

/** The memo key of the saga's final step table (markdown). */
export const sagaTableMemoKey = 'sagaTable';

/** The memo key of the saga's final {@link SagaState}: what a client reads of a finished saga, with no worker. */
export const sagaStateMemoKey = 'sagaState';

/**
 * Mirrors the status and the current step into the search attributes, only what changed: each upsert is a history
 * event and a visibility update on the server.
 *
 * `deferSteps` (a saga started by `startSaga`, whose starter wrote `SagaStatus: running`): the step is first
 * written when the saga has run long (`runningLong`), or leaves `running` (compensates, waits for an operator,
 * ends), and on every change from then on; so a saga done in a moment writes its search attributes once, as it
 * ends. Otherwise the first step's upsert carries the initial status, and every step change is written.
 */
export function searchAttributesObserver({ deferSteps }: { deferSteps: boolean }): SagaObserver {
  let published: { status?: SagaStatus; step?: string } = deferSteps ? { status: SagaStatus.Running } : {};
  let publishingSteps = !deferSteps;
  const publish = (state: SagaState, step: string | undefined) => {
    const stepChanged = step !== undefined && step !== published.step;
    const statusChanged = state.status !== published.status && (stepChanged || state.status !== SagaStatus.Running);
    if (!stepChanged && !statusChanged) return;
    upsertSearchAttributes([
      ...(statusChanged ? [{ key: SagaStatusKey, value: state.status }] : []),
      ...(stepChanged ? [{ key: SagaStepKey, value: step }] : []),
    ]);
    published = { status: statusChanged ? state.status : published.status, step: stepChanged ? step : published.step };
  };
  return {
    recorded(state, step) {
      if (!publishingSteps && state.status !== SagaStatus.Running) publishingSteps = true;
      if (publishingSteps) publish(state, step ?? (deferSteps ? state.currentStep : undefined));
    },
    runningLong(state) {
      if (publishingSteps) return;
      publishingSteps = true;
      publish(state, state.currentStep);
    },
  };
}

/** Renders the saga's table into the Web UI's current details (no history event), on every happening it publishes. */
export const currentDetailsObserver: SagaObserver = {
  recorded: (state) => setCurrentDetails(renderSagaTable(state)),
};

/** Counts sagas started and the outcomes they reach (metrics.ts). */
export const metricsObserver: SagaObserver = {
  started: countSagaStarted,
  reached: countSagaReached,
};

/**
 * Leaves the final table and state in the memo when the saga ends, if `leaves()` says so. Current details and the
 * state are served by a query, so only while a worker polls, and a closed saga's by a replay of its history; the
 * memo is read by the Web UI and clients with no worker at all.
 */
export function finalMemoObserver(leaves: () => boolean): SagaObserver {
  return {
    ended(state) {
      if (leaves()) upsertMemo({ [sagaTableMemoKey]: renderSagaTable(state), [sagaStateMemoKey]: state });
    },
  };
}
