/** Search attributes every saga keeps current, so that sagas can be found by where they are in the Web UI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The saga's {@link SagaStatus}. */
export const SagaStatusKey = defineSearchAttributeKey('SagaStatus', SearchAttributeType.KEYWORD);

/** The step the saga is on (or ended on), once the saga has run long enough to be looked for by it. */
export const SagaStepKey = defineSearchAttributeKey('SagaStep', SearchAttributeType.KEYWORD);

/**
 * The memo key the saga's starter (`startSaga`, the HTTP trigger) writes at start, with {@link sagaStartVersion}:
 * the saga was started with its `SagaStatus` already `running`, and publishes its step the way described at
 * `SagaOptions.publishStepAfter`. A saga started without it (by a plain client, or before this existed) publishes
 * its status and step on every change, as it always did: the start event is in its history, so its replay takes
 * the same way.
 */
export const sagaStartMemoKey = 'sagaStart';
export const sagaStartVersion = 2;
