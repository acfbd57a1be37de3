/** Every custom search attribute this project uses; the embedded server registers them at start. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { SagaStatusKey, SagaStepKey } from './saga';

/** The customer who placed the order. */
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);

/** The order's total, in cents. */
export const OrderTotalKey = defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT);

export const searchAttributeKeys = [SagaStatusKey, SagaStepKey, CustomerIdKey, OrderTotalKey] as const;
