/** Search attributes every saga keeps current, so that sagas can be found by where they are in the Web UI. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The saga's {@link SagaStatus}. */
export const SagaStatusKey = defineSearchAttributeKey('SagaStatus', SearchAttributeType.KEYWORD);

/** The step the saga is on (or ended on). */
export const SagaStepKey = defineSearchAttributeKey('SagaStep', SearchAttributeType.KEYWORD);
