/** Search attributes every saga keeps current, so that sagas can be found by where they are in the Web UI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The saga's {@link SagaStatus}. */
export const SagaStatusKey = defineSearchAttributeKey('SagaStatus', SearchAttributeType.KEYWORD);

/** The step the saga is on (or ended on), once the saga has run long enough to be looked for by it. */
export const SagaStepKey = defineSearchAttributeKey('SagaStep', SearchAttributeType.KEYWORD);

/**
 * The memo key the saga's starter (`startSaga`, the HTTP trigger) writes at start, with {@link sagaStartVersion}:
 * what the saga may take for granted, read back by {@link sagaStartVersionOf}. The start event is in the saga's
 * history, so its replay takes the same ways. A saga started without it (by a plain client, or before it existed)
 * takes the old ones, as it always did.
 *
 * - 2: its `SagaStatus` was written `running` with the start; it writes its step as `SagaOptions.publishStepAfter`
 *   says, and leaves its final memo without a patch marker.
 * - 3: the application's patches made before it are in effect (the order saga's `OrderPatch`), without the marker
 *   and `TemporalChangeVersion` upsert each `patched()` call costs.
 *
 * Workers must be at least as new as the starters: a saga that a newer starter started, and an older worker ran
 * first, holds what the newer worker does not expect. Roll out workers before the API.
 */
export const sagaStartMemoKey = 'sagaStart';
export const sagaStartVersion = 3;
