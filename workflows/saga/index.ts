/**
 * temporal-saga's engine: sagas as ordinary workflow code.
 *
 * ```ts
 * const payments = sagaActivities<PaymentsActivities>({ taskQueue: 'payments', startToCloseTimeout: '10s' });
 *
 * export function checkout(order: Order): Promise<Receipt> {
 *   return runSaga(async (saga) => {
 *     const charge = await saga.step('charge', {
 *       action: ({ idempotencyKey }) => payments.charge({ idempotencyKey, amount: order.total }),
 *       compensate: ({ actionKey }) => payments.refund({ chargeKey: actionKey }),
 *     });
 *     await saga.step('ship', { action: () => shipping.dispatch(order), pivot: true });
 *     return { charge };
 *   });
 * }
 * ```
 *
 * A step may call its activities through the SDK's own `proxyActivities` too, on a worker that installs the saga
 * interceptor (`sagaInterceptorModules`, from the worker side); `sagaActivities` needs no interceptor.
 *
 * Everything here is deterministic and safe to bundle into workflows; clients import the query and Update
 * definitions from here too.
 */
export type { StepActivity } from './activities';
export { parseStepActivityId, sagaActivities, stepActivityId } from './activities';
export { renderSagaTable } from './current-details';
export { escapeMarkdown } from './markdown';
export type { CancelSagaRequest, CancelSagaResult, CompensationResolution, WaitForStepRequest } from './definitions';
export {
  cancelSagaUpdate,
  ResolutionAction,
  resolveCompensationUpdate,
  sagaStateQuery,
  waitForStepUpdate,
} from './definitions';
export type { FailureLike } from './failures';
export {
  causeChain,
  describeError,
  isBusinessFailure,
  isCompensatedEnding,
  SagaDefinitionError,
  SagaFailureType,
} from './failures';
export type { SagaNexusOperations, SagaStepCall } from './nexus';
export { parseStepHeader, SagaNexusHeader, sagaNexusOperations } from './nexus';
export type { Backoff, SagaOptions } from './options';
export { CompensationFailurePolicy, CompensationOrder } from './options';
export { sagaStateMemoKey, sagaTableMemoKey } from './observers';
export { runSaga, SagaPatch, sagaStartVersionOf } from './saga';
export type { CompensationContext, ParallelStep, SagaContext, StepContext, StepDefinition } from './saga-context';
export { sagaStartMemoKey, sagaStartVersion, SagaStatusKey, SagaStepKey } from './search-attributes';
export type {
  CancellationState,
  CompensationLogEntry,
  CompensationState,
  Escalation,
  SagaState,
  StepError,
  StepState,
} from './state';
export { CompensationEvent, CompensationStatus, SagaStatus, StepStatus } from './state';
export { textTable } from './text-table';
