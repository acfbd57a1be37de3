/**
 * The framework's client side: typed helpers to start a saga, read its state, cancel it and resolve an escalated
 * compensation. Refusals come back as results, not exceptions: a cancellation after the pivot is an answer. Reads
 * answer with every worker down: a finished saga's state is in its memo, and a running saga whose worker does not
 * answer in time is read from what it published, marked stale.
 */
import type {
  Client,
  Workflow,
  WorkflowExecutionDescription,
  WorkflowHandle,
  WorkflowStartOptions,
} from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CompensationResolution, SagaState, StepError } from '../../workflows/saga';
import { isDeadlineExceeded, isInvalidArgument, isNotFound, isPastDeadline } from './temporal-errors';
import {
  cancelSagaUpdate,
  resolveCompensationUpdate,
  SagaFailureType,
  SagaStatus,
  sagaStartMemoKey,
  sagaStartVersion,
  SagaStatusKey,
  SagaStepKey,
  sagaStateMemoKey,
  sagaStateQuery,
  waitForStepUpdate,
} from '../../workflows/saga';
import { decodeListCursor, encodeListCursor, InvalidCursorError } from './list-cursor';
import { dateOf, searchAttributesOf } from './temporal-values';

export interface StartSagaOptions<W extends Workflow> {
  /** The saga's business key, e.g. `order-<orderId>`: one key, one saga. */
  workflowId: string;
  taskQueue: string;
  args: Parameters<W>;
  /** One line shown for the saga in the Web UI (markdown). @default none */
  summary?: string;
  /** Longer description shown in the Web UI's metadata (markdown, tables allowed). @default none */
  details?: string;
  /** The domain's own search attributes, e.g. `CustomerId`. `SagaStatus` is set for you. @default none */
  searchAttributes?: SearchAttributePair[];
  /**
   * Whether the saga keeps the engine's search attributes (`SagaStatus`, `SagaStep`): `false` for a saga run with
   * `searchAttributes: false`, in a namespace without them. @default true
   */
  sagaSearchAttributes?: boolean;
  /** Kept with the saga, e.g. the request id that started it. @default none */
  memo?: Record<string, unknown>;
}

function startOptionsOf<W extends Workflow>(options: StartSagaOptions<W>): WorkflowStartOptions<W> {
  const { workflowId, taskQueue, args, summary, details, searchAttributes = [], memo } = options;
  // The status is written here, with the start, at no cost; the memo tells the saga who started it
  // (`sagaStartMemoKey`).
  const status = options.sagaSearchAttributes === false ? [] : [{ key: SagaStatusKey, value: SagaStatus.Running }];
  const startMemo = { [sagaStartMemoKey]: sagaStartVersion, ...memo };
  // The cast only re-attaches `args` to the generic W, which TypeScript cannot resolve through the SDK's
  // conditional type; the caller's `args: Parameters<W>` is already checked.
  return {
    workflowId,
    taskQueue,
    args,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [...status, ...searchAttributes],
    ...(summary ? { staticSummary: summary } : {}),
    ...(details ? { staticDetails: details } : {}),
    memo: startMemo,
  } as unknown as WorkflowStartOptions<W>;
}

/**
 * Starts a saga, or returns the one already started under the same business key, running or ended: a duplicate
 * start (a client retry, a double click) never runs the saga twice.
 */
export async function startSaga<W extends Workflow>(
  client: Client,
  /** The workflow function, or its type name when the client does not import the workflow code. */
  workflow: W | string,
  options: StartSagaOptions<W>,
): Promise<WorkflowHandle<W>> {
  try {
    return await client.workflow.start(workflow, startOptionsOf(options));
  } catch (error) {
    // REJECT_DUPLICATE: the saga ran before and has ended; it is still the answer.
    if (isAlreadyStarted(error)) return client.workflow.getHandle<W>(options.workflowId);
    throw error;
  }
}

function isAlreadyStarted(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'WorkflowExecutionAlreadyStartedError';
}

/** Where a saga stood when a caller stopped waiting for one of its steps. */
export type StepOutcome =
  | { outcome: 'reached'; state: SagaState }
  | { outcome: 'failed'; failure: StepError }
  /** Not within the time allowed: the saga runs on. */
  | { outcome: 'pending' };

/**
 * Starts a saga (or finds the one under its business key) and waits, at most `timeoutMs`, until `step` has
 * succeeded: one round trip, through update-with-start. The saga runs on whatever the answer.
 */
export async function startSagaAndWaitForStep<W extends Workflow>(
  client: Client,
  workflow: W | string,
  options: StartSagaOptions<W> & { step: string; timeoutMs: number },
): Promise<StepOutcome> {
  const startWorkflowOperation = new WithStartWorkflowOperation<W>(workflow, {
    ...startOptionsOf(options),
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  const deadline = Date.now() + options.timeoutMs;
  try {
    const state = await client.connection.withDeadline(deadline, () =>
      client.workflow.executeUpdateWithStart(waitForStepUpdate, {
        args: [{ step: options.step }],
        startWorkflowOperation,
      }),
    );
    return { outcome: 'reached', state };
  } catch (error) {
    const failure = updateFailureOf(error);
    if (failure) return { outcome: 'failed', failure };
    if (isAlreadyStarted(error)) return outcomeOfEnded(await getSagaState(client, options.workflowId), options.step);
    if (isPastDeadline(error, deadline) && (await exists(client, options.workflowId))) return { outcome: 'pending' };
    throw error;
  }
}

/** How a saga that has ended stands with `step`: reached if the step succeeded, else the saga's failure. */
export function outcomeOfEnded(state: SagaState, step: string): StepOutcome {
  if (state.steps.find((candidate) => candidate.name === step)?.status === 'succeeded') {
    return { outcome: 'reached', state };
  }
  return { outcome: 'failed', failure: state.failure ?? { type: 'SagaEnded', message: 'The saga has ended.' } };
}

/** The failure an Update's handler threw, or `undefined` for any other error. */
export function updateFailureOf(error: unknown): StepError | undefined {
  const failure = error as { name?: string; cause?: { type?: string; message?: string } };
  if (failure.name !== 'WorkflowUpdateFailedError' || !failure.cause?.type) return undefined;
  return { type: failure.cause.type, message: failure.cause.message ?? '' };
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch {
    return false;
  }
}

/** One saga as the visibility store lists it. */
export interface SagaListing {
  workflowId: string;
  /** The execution's status: `running`, `completed`, `failed`, `canceled`, `terminated`, … */
  executionStatus: string;
  startedAt: string | undefined;
  closedAt: string | undefined;
  /** The saga's search attributes, by name (`SagaStatus`, `SagaStep`, the domain's own). */
  searchAttributes: Record<string, unknown>;
}

export interface SagaPage {
  sagas: SagaListing[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor: string | undefined;
}

/**
 * One page of the sagas matching a visibility `query`, newest first. Throws {@link InvalidCursorError} for a
 * `cursor` that is not the `nextCursor` of a page of the same query, without asking Temporal, or that Temporal
 * refuses.
 */
export async function listSagas(
  client: Client,
  { query, pageSize, cursor }: { query: string; pageSize: number; cursor?: string | undefined },
): Promise<SagaPage> {
  const nextPageToken = cursor ? decodeListCursor(query, cursor) : undefined;
  if (cursor && !nextPageToken) throw new InvalidCursorError();
  const response = await client.workflowService
    .listWorkflowExecutions({
      namespace: client.options.namespace,
      query,
      pageSize,
      ...(nextPageToken ? { nextPageToken } : {}),
    })
    .catch((error: unknown) => {
      // Elasticsearch visibility checks a token itself, and answers INVALID_ARGUMENT to one it cannot read (one
      // forged along with its tag). SQL visibility answers UNKNOWN, which the SDK retries until the deadline.
      if (nextPageToken && isInvalidArgument(error)) throw new InvalidCursorError();
      throw error;
    });
  const statusNames = temporal.api.enums.v1.WorkflowExecutionStatus;
  return {
    sagas: (response.executions ?? []).map((info) => ({
      workflowId: info.execution?.workflowId ?? '',
      executionStatus: (statusNames[info.status ?? 0] ?? 'unknown')
        .replace('WORKFLOW_EXECUTION_STATUS_', '')
        .toLowerCase(),
      startedAt: dateOf(info.startTime)?.toISOString(),
      closedAt: dateOf(info.closeTime)?.toISOString(),
      searchAttributes: searchAttributesOf(info.searchAttributes?.indexedFields),
    })),
    nextCursor: response.nextPageToken?.length ? encodeListCursor(query, response.nextPageToken) : undefined,
  };
}

/**
 * The saga's exact state: a finished saga's from its memo (no worker needed, nothing replayed), a running one's from
 * its `sagaState` query, which waits for a worker as long as the caller's deadline lets it. A read that must answer
 * while workers are down is {@link readSagaState}. Throws `WorkflowNotFoundError` for an unknown id.
 */
export async function getSagaState(client: Client, workflowId: string): Promise<SagaState> {
  const handle = client.workflow.getHandle(workflowId);
  return finalStateOf(await handle.describe()) ?? handle.query(sagaStateQuery);
}

/**
 * What a saga keeps where a client reads it with no worker: its status and current step (the `SagaStatus` and
 * `SagaStep` search attributes, which the engine keeps current), and when the workflow started and closed. Its
 * steps are not there.
 */
export type PublishedSagaState = Pick<SagaState, 'sagaId' | 'status' | 'currentStep' | 'startedAt' | 'finishedAt'>;

/**
 * A saga's state as {@link readSagaState} found it. `stale: false`: exact, a finished saga's final state or a
 * running saga's answer to its query. `stale: true`: the saga's worker did not answer in time, and this is what the
 * saga last published: possibly behind, since a step may have started or ended since.
 */
export type SagaRead = { stale: false; state: SagaState } | { stale: true; state: PublishedSagaState };

/** How long {@link readSagaState} waits for a running saga's worker to answer, by default. */
const defaultStateQueryTimeoutMs = 500;

export interface ReadSagaStateOptions {
  /** How long the `sagaState` query may wait for the saga's worker before the read falls back. @default 500 */
  queryTimeoutMs?: number | undefined;
  /** The saga's description, when the caller has just read it (to check who may read the saga): not read again. */
  description?: WorkflowExecutionDescription | undefined;
}

/**
 * The saga's state within a bound, with or without workers: a finished saga's from its memo; a running one's from
 * its `sagaState` query, given `queryTimeoutMs`; and when no worker answers within that (none polls, or all are
 * busy), what the saga published, marked stale. One describe, and one query for a running saga. Throws
 * `WorkflowNotFoundError` for an unknown id, and the query's error when the saga published no status to fall back
 * on (a saga run with `searchAttributes: false`).
 */
export async function readSagaState(
  client: Client,
  workflowId: string,
  { queryTimeoutMs = defaultStateQueryTimeoutMs, description: known }: ReadSagaStateOptions = {},
): Promise<SagaRead> {
  const handle = client.workflow.getHandle(workflowId);
  const description = known ?? (await handle.describe());
  const final = finalStateOf(description);
  if (final) return { stale: false, state: final };
  // A signal, not a deadline, so that a caller's tighter deadline (the API's) still holds; the SDK lets it replace a
  // caller's own signal for this one call. A saga that ended before the engine kept its final state in the memo has
  // none, and is queried too: a worker replays its history, if one answers in time.
  const bound = AbortSignal.timeout(queryTimeoutMs);
  try {
    return { stale: false, state: await client.connection.withAbortSignal(bound, () => handle.query(sagaStateQuery)) };
  } catch (error) {
    const published = publishedStateOf(workflowId, description);
    if (published && (bound.aborted || isDeadlineExceeded(error))) return { stale: true, state: published };
    throw error;
  }
}

function finalStateOf({ memo }: WorkflowExecutionDescription): SagaState | undefined {
  return memo?.[sagaStateMemoKey] as SagaState | undefined;
}

function publishedStateOf(
  sagaId: string,
  { typedSearchAttributes, startTime, closeTime }: WorkflowExecutionDescription,
): PublishedSagaState | undefined {
  const status = typedSearchAttributes.get(SagaStatusKey);
  if (!isSagaStatus(status)) return undefined;
  const currentStep = typedSearchAttributes.get(SagaStepKey);
  return {
    sagaId,
    status,
    ...(currentStep ? { currentStep } : {}),
    startedAt: startTime.toISOString(),
    ...(closeTime ? { finishedAt: closeTime.toISOString() } : {}),
  };
}

function isSagaStatus(value: string | undefined): value is SagaStatus {
  return (Object.values(SagaStatus) as (string | undefined)[]).includes(value);
}

export type CancelOutcome = { accepted: true; status: string } | { accepted: false; reason: string };

/**
 * Asks the saga to cancel: accepted before its pivot (it then compensates), refused with the reason after. A
 * cancellation the saga already accepted is accepted again: a caller that lost the first answer (a timeout while
 * the saga's worker was busy) and asks again gets the same answer, whatever the saga has done since.
 */
export async function cancelSaga(client: Client, workflowId: string, reason: string): Promise<CancelOutcome> {
  try {
    const result = await client.workflow.getHandle(workflowId).executeUpdate(cancelSagaUpdate, { args: [{ reason }] });
    return { accepted: true, status: result.status };
  } catch (error) {
    const refusal = refusalOf(error, SagaFailureType.CancelRejected);
    if (refusal === undefined && !isNotFound(error)) throw error;
    const read = await readSagaState(client, workflowId).catch(() => undefined);
    if (read && !read.stale && read.state.cancellation?.outcome === 'accepted') {
      return { accepted: true, status: read.state.status };
    }
    if (refusal !== undefined) return { accepted: false, reason: refusal };
    if (read) return { accepted: false, reason: `The saga is ${read.state.status}: there is nothing left to cancel.` };
    throw error;
  }
}

/**
 * An Update to a saga that has ended fails as "not found"; the saga is still there to say how it ended. Answers
 * `undefined` when the workflow truly does not exist.
 */
async function endedRefusal(
  client: Client,
  workflowId: string,
  error: unknown,
  consequence: string,
): Promise<string | undefined> {
  if (!isNotFound(error)) return undefined;
  try {
    const { state } = await readSagaState(client, workflowId);
    return `The saga is ${state.status}: ${consequence}.`;
  } catch {
    return undefined;
  }
}

export type ResolveOutcome =
  { accepted: true; resolution: CompensationResolution } | { accepted: false; reason: string };

/** Resolves an escalated compensation (retry, skip or abort); refused when none of that step is waiting. */
export async function resolveCompensation(
  client: Client,
  workflowId: string,
  resolution: CompensationResolution,
): Promise<ResolveOutcome> {
  try {
    const accepted = await client.workflow
      .getHandle(workflowId)
      .executeUpdate(resolveCompensationUpdate, { args: [resolution] });
    return { accepted: true, resolution: accepted };
  } catch (error) {
    const refusal =
      refusalOf(error, SagaFailureType.ResolutionRejected) ??
      (await endedRefusal(client, workflowId, error, 'there is no compensation to resolve'));
    if (refusal !== undefined) return { accepted: false, reason: refusal };
    throw error;
  }
}

/** What {@link resolveCompensations} did, saga by saga. */
export interface BulkResolution {
  resolved: { workflowId: string; resolution: CompensationResolution }[];
  /** The sagas that refused the resolution, each with its reason (another step waits, it has moved on, …). */
  refused: { workflowId: string; reason: string }[];
  /** The sagas whose resolution could not be sent (Temporal did not answer, …): try them again. */
  failed: { workflowId: string; error: string }[];
}

/**
 * Resolves the escalated compensations of every saga in `needs_attention` that a visibility `query` selects (e.g.
 * `WorkflowType = 'placeOrder' AND CustomerId = 'c-1'`), `concurrency` at a time, and reports which accepted and
 * which refused, with why. Visibility lags a little: a saga that escalated a moment ago may not be found yet.
 */
export async function resolveCompensations(
  client: Client,
  {
    query,
    resolution,
    concurrency = 8,
    timeoutMs = 10_000,
    allow = () => true,
  }: {
    query: string;
    resolution: CompensationResolution;
    concurrency?: number;
    /**
     * How long each saga's worker has to take its resolution; a saga none answers for in time (its workers are
     * down) is reported as failed. @default 10000
     */
    timeoutMs?: number;
    /** Which of the sagas found to resolve; the others are left alone, and out of the report. @default all */
    allow?: (saga: { workflowId: string; searchAttributes: TypedSearchAttributes }) => boolean;
  },
): Promise<BulkResolution> {
  const report: BulkResolution = { resolved: [], refused: [], failed: [] };
  const waiting = client.workflow.list({
    query: `(${query}) AND ${SagaStatusKey.name} = '${SagaStatus.NeedsAttention}' AND ExecutionStatus = 'Running'`,
  });
  const workflowIds: string[] = [];
  for await (const execution of waiting) {
    const { workflowId, typedSearchAttributes: searchAttributes } = execution;
    if (allow({ workflowId, searchAttributes })) workflowIds.push(workflowId);
  }
  const resolveNext = async (): Promise<void> => {
    for (let workflowId = workflowIds.shift(); workflowId; workflowId = workflowIds.shift()) {
      const deadline = Date.now() + timeoutMs;
      try {
        const outcome = await client.connection.withDeadline(deadline, () =>
          resolveCompensation(client, workflowId, resolution),
        );
        if (outcome.accepted) report.resolved.push({ workflowId, resolution: outcome.resolution });
        else report.refused.push({ workflowId, reason: outcome.reason });
      } catch (error) {
        const reason = isPastDeadline(error, deadline)
          ? `No worker took the resolution within ${timeoutMs} ms.`
          : error instanceof Error
            ? error.message
            : String(error);
        report.failed.push({ workflowId, error: reason });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, resolveNext));
  return report;
}

/** The reason of an Update refused by the saga's validator, or `undefined` for any other error. */
function refusalOf(error: unknown, type: SagaFailureType): string | undefined {
  const failure = error as { name?: string; cause?: { type?: string; message?: string } };
  if (failure.name === 'WorkflowUpdateFailedError' && failure.cause?.type === type) return failure.cause.message;
  return undefined;
}
