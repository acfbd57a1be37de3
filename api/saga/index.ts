/**
 * temporal-saga's client side (`temporal-saga/client`): start a saga under its business key, read its state with or
 * without workers, wait for a step, cancel it, resolve escalations one by one or by the hundred, list sagas through
 * visibility and read a saga's history as a timeline. Needs a `Client` from `@temporalio/client`; no workflow code
 * runs here.
 *
 * ```ts
 * await startSaga(client, bookTrip, { workflowId: `trip-${trip.id}`, taskQueue: 'trips', args: [trip] });
 * const saga = sagaHandle<typeof bookTrip, TripStep>(client, `trip-${trip.id}`);
 * const { status } = await saga.state();
 * ```
 */
export type {
  BulkResolution,
  CancelOutcome,
  PublishedSagaState,
  ReadSagaStateOptions,
  ResolveOutcome,
  SagaListing,
  SagaPage,
  SagaRead,
  StartSagaOptions,
  StepOutcome,
} from './client';
export {
  cancelSaga,
  getSagaState,
  listSagas,
  readSagaState,
  resolveCompensation,
  resolveCompensations,
  startSaga,
  startSagaAndWaitForStep,
} from './client';
export type { SagaHandle } from './handle';
export { sagaHandle } from './handle';
export type { RawEvents, SagaHistory, TimelineEntry } from './history';
export { sagaHistory, timelineOf } from './history';
export { InvalidCursorError } from './list-cursor';
// What a client reads in a saga's answers, from the engine (these modules are safe outside workflows).
export type {
  CompensationLogEntry,
  CompensationResolution,
  CompensationState,
  Escalation,
  SagaState,
  StepError,
  StepState,
} from '../../workflows/saga';
export {
  CompensationStatus,
  ResolutionAction,
  SagaFailureType,
  SagaStatus,
  SagaStatusKey,
  SagaStepKey,
  StepStatus,
} from '../../workflows/saga';
