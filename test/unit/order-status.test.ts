/**
 * The order's status as its customer would name it (api/orders/status.ts), read three ways that must agree: off the
 * saga's full state (`orderStatusOf`), off what the saga published in its search attributes
 * (`orderStatusOfPublished`), and as the visibility query that lists orders in a status (`orderStatusQuery`).
 */
import {
  OrderStatus,
  orderStatuses,
  orderStatusOf,
  orderStatusOfPublished,
  orderStatusQuery,
} from '../../api/orders/status';
import type { PublishedSagaState } from '../../api/saga/client';
import { OrderStep } from '../../workflows/order';
import type { SagaState, StepState } from '../../workflows/saga';
import { SagaStatus, StepStatus } from '../../workflows/saga';

const orderSteps = Object.values(OrderStep);

/** An order saga's state: every step pending but those given. */
function orderSaga(
  status: SagaStatus,
  steps: Partial<Record<(typeof orderSteps)[number], StepStatus>>,
  more: Partial<SagaState> = {},
): SagaState {
  const stepStates = orderSteps.map((name): StepState => ({
    name,
    status: steps[name] ?? StepStatus.Pending,
    attempts: steps[name] ? 1 : 0,
  }));
  return {
    sagaId: 'order-1',
    status,
    steps: stepStates,
    pivotPassed: steps[OrderStep.RequestShipment] === StepStatus.Succeeded,
    startedAt: '2026-01-05T10:00:00.000Z',
    escalations: [],
    compensationLog: [],
    ...more,
  };
}

/** What an order saga published: its status and, when it is on one, its step. */
function published(status: SagaStatus, currentStep?: string): PublishedSagaState {
  return { sagaId: 'order-1', status, ...(currentStep ? { currentStep } : {}), startedAt: '2026-01-05T10:00:00.000Z' };
}

const settled = Object.values(SagaStatus).filter((status) => status !== SagaStatus.Running);
const done = StepStatus.Succeeded;
const beforeShipment = {
  [OrderStep.ReserveStock]: done,
  [OrderStep.CreateOrder]: done,
  [OrderStep.ScreenPayment]: done,
  [OrderStep.ChargePayment]: done,
};
const dispatched = { ...beforeShipment, [OrderStep.RequestShipment]: done };

describe('orderStatusOf', () => {
  it.each([
    {
      status: OrderStatus.Processing,
      when: 'while the first step runs',
      state: orderSaga(SagaStatus.Running, { reserveStock: StepStatus.Running }),
    },
    {
      status: OrderStatus.Processing,
      when: 'while the payment is charged',
      state: orderSaga(SagaStatus.Running, { ...beforeShipment, chargePayment: StepStatus.Running }),
    },
    {
      status: OrderStatus.AwaitingShipment,
      when: 'while shipping decides',
      state: orderSaga(SagaStatus.Running, { ...beforeShipment, requestShipment: StepStatus.Running }),
    },
    {
      status: OrderStatus.Dispatched,
      when: 'once shipping dispatched it',
      state: orderSaga(SagaStatus.Running, { ...dispatched, confirmOrder: StepStatus.Running }),
    },
    {
      status: OrderStatus.Dispatched,
      when: 'while a step after the dispatch is retried',
      state: orderSaga(SagaStatus.Running, { ...dispatched, notifyCustomer: StepStatus.Retrying }),
    },
    {
      status: OrderStatus.Completed,
      when: 'once every step succeeded',
      state: orderSaga(SagaStatus.Completed, {
        ...dispatched,
        confirmOrder: done,
        commitStock: done,
        notifyCustomer: done,
      }),
    },
    {
      status: OrderStatus.Cancelling,
      when: 'while a failed step is compensated',
      state: orderSaga(SagaStatus.Compensating, { ...beforeShipment, chargePayment: StepStatus.Failed }),
    },
    {
      status: OrderStatus.Cancelling,
      when: 'while a cancellation is compensated',
      state: orderSaga(
        SagaStatus.Compensating,
        { reserveStock: done, createOrder: StepStatus.Running },
        { cancellation: { requestedAt: '2026-01-05T10:00:01.000Z', reason: 'changed my mind', outcome: 'accepted' } },
      ),
    },
    {
      status: OrderStatus.Cancelled,
      when: 'once compensated',
      state: orderSaga(SagaStatus.Compensated, { reserveStock: StepStatus.Failed }),
    },
    {
      status: OrderStatus.NeedsAttention,
      when: 'while a compensation waits for an operator',
      state: orderSaga(SagaStatus.NeedsAttention, { ...beforeShipment, requestShipment: StepStatus.Failed }),
    },
  ])('$status $when', ({ status, state }) => {
    expect(orderStatusOf(state)).toBe(status);
  });
});

describe('orderStatusOfPublished', () => {
  it('reads a running saga by the step it is on', () => {
    expect(orderStatusOfPublished(published(SagaStatus.Running, OrderStep.ChargePayment))).toBe(OrderStatus.Processing);
    expect(orderStatusOfPublished(published(SagaStatus.Running, OrderStep.RequestShipment))).toBe(
      OrderStatus.AwaitingShipment,
    );
    expect(orderStatusOfPublished(published(SagaStatus.Running, OrderStep.NotifyCustomer))).toBe(
      OrderStatus.Dispatched,
    );
  });

  it('reads a saga that stopped running forward as its full state is read', () => {
    for (const status of settled) {
      expect(orderStatusOfPublished(published(status, OrderStep.ReserveStock))).toBe(
        orderStatusOf(orderSaga(status, {})),
      );
    }
  });
});

describe('orderStatusQuery', () => {
  it('has a clause for every status', () => {
    expect(Object.keys(orderStatusQuery).sort()).toEqual([...orderStatuses].sort());
    for (const status of orderStatuses) expect(orderStatusQuery[status]).toMatch(/^SagaStatus /);
  });

  /** The statuses whose clause names `value` quoted, as a saga's search attribute would hold it. */
  const clausesNaming = (value: string) =>
    orderStatuses.filter((status) => orderStatusQuery[status].includes(`'${value}'`));

  it.each(orderSteps)(
    'finds a running saga on %s under the status its published state reads as, and no other',
    (step) => {
      expect(clausesNaming(step)).toEqual([orderStatusOfPublished(published(SagaStatus.Running, step))]);
    },
  );

  it('finds a running saga on no step yet among those processing', () => {
    expect(orderStatusOfPublished(published(SagaStatus.Running))).toBe(OrderStatus.Processing);
    expect(orderStatusQuery[OrderStatus.Processing]).toContain('SagaStep IS NULL');
  });

  it.each(settled)('finds a %s saga under the status its published state reads as, and no other', (status) => {
    expect(clausesNaming(status)).toEqual([orderStatusOfPublished(published(status))]);
  });
});
