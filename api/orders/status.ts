/**
 * The order's status as its customer would name it: read off its saga's state for one order, off what its saga
 * published (status and current step) when no worker answers, and written as a visibility query over the same
 * search attributes for listing. All three stay here, side by side, so that they agree.
 */
import type { SagaState } from '../../workflows/saga';
import { SagaStatus, StepStatus } from '../../workflows/saga';
import { OrderStep } from '../../workflows/order';
import type { PublishedSagaState } from '../saga';

export const OrderStatus = {
  /** Creating, reserving, charging. */
  Processing: 'processing',
  /** Handed to shipping, which has not answered yet. */
  AwaitingShipment: 'awaiting_shipment',
  /** Dispatched: confirming and notifying; nothing will be undone. */
  Dispatched: 'dispatched',
  Completed: 'completed',
  /** A step failed or the order was cancelled: compensating. */
  Cancelling: 'cancelling',
  Cancelled: 'cancelled',
  /** A compensation failed, or a step after the dispatch keeps failing: waits for an operator. */
  NeedsAttention: 'needs_attention',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const orderStatuses = Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]];

const beforeShipping = [
  OrderStep.CreateOrder,
  OrderStep.ReserveStock,
  OrderStep.ScreenPayment,
  OrderStep.ChargePayment,
];
const afterDispatch: readonly string[] = [OrderStep.ConfirmOrder, OrderStep.CommitStock, OrderStep.NotifyCustomer];
const quoted = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/** The order's status once its saga has stopped running forward: the same whether read in full or as published. */
const settledStatus: Record<Exclude<SagaStatus, 'running'>, OrderStatus> = {
  [SagaStatus.Completed]: OrderStatus.Completed,
  [SagaStatus.Compensated]: OrderStatus.Cancelled,
  [SagaStatus.Failed]: OrderStatus.Cancelled,
  [SagaStatus.Compensating]: OrderStatus.Cancelling,
  [SagaStatus.NeedsAttention]: OrderStatus.NeedsAttention,
};

export function orderStatusOf(state: SagaState): OrderStatus {
  if (state.status !== SagaStatus.Running) return settledStatus[state.status];
  if (state.pivotPassed) return OrderStatus.Dispatched;
  const shipment = state.steps.find((step) => step.name === OrderStep.RequestShipment);
  return shipment?.status === StepStatus.Running ? OrderStatus.AwaitingShipment : OrderStatus.Processing;
}

/**
 * The order's status from what its saga published, as {@link orderStatusQuery} finds it: before shipping it is
 * processing, on `requestShipment` awaiting shipment, on a step after the dispatch dispatched.
 */
export function orderStatusOfPublished({ status, currentStep }: PublishedSagaState): OrderStatus {
  if (status !== SagaStatus.Running) return settledStatus[status];
  if (currentStep === OrderStep.RequestShipment) return OrderStatus.AwaitingShipment;
  if (currentStep !== undefined && afterDispatch.includes(currentStep)) return OrderStatus.Dispatched;
  return OrderStatus.Processing;
}

/** The visibility query for orders in `status`, from the saga's search attributes. */
export const orderStatusQuery: Record<OrderStatus, string> = {
  [OrderStatus.Processing]: `SagaStatus = 'running' AND (SagaStep IS NULL OR SagaStep IN (${quoted(beforeShipping)}))`,
  [OrderStatus.AwaitingShipment]: `SagaStatus = 'running' AND SagaStep = '${OrderStep.RequestShipment}'`,
  [OrderStatus.Dispatched]: `SagaStatus = 'running' AND SagaStep IN (${quoted(afterDispatch)})`,
  [OrderStatus.Completed]: `SagaStatus = 'completed'`,
  [OrderStatus.Cancelling]: `SagaStatus = 'compensating'`,
  [OrderStatus.Cancelled]: `SagaStatus IN ('compensated', 'failed')`,
  [OrderStatus.NeedsAttention]: `SagaStatus = 'needs_attention'`,
};
