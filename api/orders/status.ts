/**
 * The order's status as its customer would name it: read off its saga's state for one order, and written as a
 * visibility query for listing. Both stay here, side by side, so that they agree.
 */
import type { SagaState } from '../../workflows/saga';
import { SagaStatus, StepStatus } from '../../workflows/saga';
import { OrderStep } from '../../workflows/order';

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
  /** A compensation failed and waits for an operator. */
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
const afterDispatch = [OrderStep.ConfirmOrder, OrderStep.CommitStock, OrderStep.NotifyCustomer];
const quoted = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

export function orderStatusOf(state: SagaState): OrderStatus {
  switch (state.status) {
    case SagaStatus.Completed:
      return OrderStatus.Completed;
    case SagaStatus.Compensated:
    case SagaStatus.Failed:
      return OrderStatus.Cancelled;
    case SagaStatus.Compensating:
      return OrderStatus.Cancelling;
    case SagaStatus.NeedsAttention:
      return OrderStatus.NeedsAttention;
    case SagaStatus.Running: {
      if (state.pivotPassed) return OrderStatus.Dispatched;
      const shipment = state.steps.find((step) => step.name === OrderStep.RequestShipment);
      return shipment?.status === StepStatus.Running ? OrderStatus.AwaitingShipment : OrderStatus.Processing;
    }
  }
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
