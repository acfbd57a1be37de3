/**
 * A saga's event history, read back as a timeline of what the saga did: its steps and compensations (saga
 * activities carry their step in their id), its status changes (the `SagaStatus` upserts), the Updates it
 * accepted (cancellation, resolution) and how it ended. The same history the Web UI shows, in the saga's terms.
 */
import type { Client } from '@temporalio/client';
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { StepActivity } from '../../workflows/saga';
import { parseStepActivityId, SagaFailureType, SagaStatusKey } from '../../workflows/saga';
import { dateOf, searchAttributesOf } from './temporal-values';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export type TimelineEntry = { eventId: number; at: string | undefined } & (
  | { type: 'saga-started'; workflowType: string }
  | ({
      type: 'step';
      /** `scheduled`, then `started` (with the Temporal attempt that ran), then how it ended. */
      event: 'scheduled' | 'started' | 'completed' | 'failed' | 'timed-out' | 'cancelled';
      activity: string;
      summary?: string;
      temporalAttempt?: number;
      failure?: { type: string; message: string };
    } & Omit<StepActivity, 'call'>)
  | { type: 'status'; status: string }
  | { type: 'update'; name: string }
  | { type: 'saga-closed'; outcome: string; failure?: { type: string; message: string } }
);

export interface SagaHistory {
  timeline: TimelineEntry[];
  /** The raw event history, as the Temporal API's JSON, when asked for. */
  events?: unknown[];
}

/**
 * Which raw events a history carries beside its timeline: none; all of them without the diagnostics (failures'
 * stack traces, the identities of the workers and clients that acted), which say how the system is built and
 * where it runs; or all of them as stored.
 */
export type RawEvents = 'none' | 'without-diagnostics' | 'all';

/** Fields of the raw events that only diagnostics need. */
const diagnosticFields = new Set(['stackTrace', 'identity']);

export async function sagaHistory(
  client: Client,
  workflowId: string,
  { events: rawEvents = 'none' }: { events?: RawEvents } = {},
): Promise<SagaHistory> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const timeline = timelineOf(events, await decodeSummaries(client.options.loadedDataConverter, events));
  if (rawEvents === 'none') return { timeline };
  const json = (temporal.api.history.v1.History.fromObject(history).toJSON() as { events?: unknown[] }).events ?? [];
  return { timeline, events: rawEvents === 'all' ? json : json.map(withoutDiagnostics) };
}

/** A copy of a raw event's JSON without {@link diagnosticFields}, at any depth (failures nest in causes). */
function withoutDiagnostics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDiagnostics);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !diagnosticFields.has(key))
      .map(([key, inner]) => [key, withoutDiagnostics(inner)]),
  );
}

function failureOf(failure: temporal.api.failure.v1.IFailure | null | undefined) {
  if (!failure) return undefined;
  let inner: temporal.api.failure.v1.IFailure | null | undefined = failure;
  // Through the engine's SagaCompensated, whose cause is the step's failure, to the business failure inside.
  while (
    inner?.cause &&
    (!inner.applicationFailureInfo?.type || inner.applicationFailureInfo.type === SagaFailureType.SagaCompensated)
  ) {
    inner = inner.cause;
  }
  const type = inner?.applicationFailureInfo?.type || (inner?.timeoutFailureInfo ? 'TimeoutFailure' : 'Failure');
  return { type, message: inner?.message ?? failure.message ?? '' };
}

/**
 * Each scheduled activity's summary, by event id, decoded as the client decodes any payload (the history holds
 * them encrypted). Summaries never hold customer data, so the timeline may show them; the raw `events` stay as
 * stored.
 */
async function decodeSummaries(converter: LoadedDataConverter, events: HistoryEvent[]): Promise<Map<string, string>> {
  const summaries = new Map<string, string>();
  for (const event of events) {
    const summary = event.activityTaskScheduledEventAttributes ? event.userMetadata?.summary : undefined;
    if (!summary) continue;
    let payloads: Payload[] = [summary];
    for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    summaries.set(String(event.eventId), converter.payloadConverter.fromPayload<string>(payloads[0]!));
  }
  return summaries;
}

/** The saga's timeline; `summaries` are the activities' decoded summaries by their scheduled event's id. */
export function timelineOf(
  events: HistoryEvent[],
  summaries: ReadonlyMap<string, string> = new Map(),
): TimelineEntry[] {
  const activities = new Map<string, { activity: string; step: StepActivity; summary: string | undefined }>();
  const timeline: TimelineEntry[] = [];
  const lastStatus = () => timeline.findLast((entry) => entry.type === 'status')?.status;
  for (const event of events) {
    const base = { eventId: Number(event.eventId), at: dateOf(event.eventTime)?.toISOString() };
    const stepEntry = (
      scheduledEventId: unknown,
      entry: { event: 'started' | 'completed' | 'failed' | 'timed-out' | 'cancelled'; temporalAttempt?: number },
      failure?: temporal.api.failure.v1.IFailure | null,
    ) => {
      const scheduled = activities.get(String(scheduledEventId));
      if (!scheduled) return;
      const { kind, step, attempt } = scheduled.step;
      const described = failureOf(failure);
      timeline.push({
        ...base,
        type: 'step',
        kind,
        step,
        attempt,
        activity: scheduled.activity,
        ...(scheduled.summary ? { summary: scheduled.summary } : {}),
        ...entry,
        ...(described ? { failure: described } : {}),
      });
    };

    if (event.workflowExecutionStartedEventAttributes) {
      const attributes = event.workflowExecutionStartedEventAttributes;
      timeline.push({ ...base, type: 'saga-started', workflowType: attributes.workflowType?.name ?? '' });
      // `startSaga` writes the first status with the start.
      const status = searchAttributesOf(attributes.searchAttributes?.indexedFields)[SagaStatusKey.name];
      if (typeof status === 'string') timeline.push({ ...base, type: 'status', status });
    } else if (event.activityTaskScheduledEventAttributes) {
      const attributes = event.activityTaskScheduledEventAttributes;
      const step = parseStepActivityId(attributes.activityId ?? '');
      if (!step) continue;
      const summary = summaries.get(String(event.eventId));
      const info = { activity: attributes.activityType?.name ?? '', step, summary };
      activities.set(String(event.eventId), info);
      timeline.push({
        ...base,
        type: 'step',
        event: 'scheduled',
        kind: step.kind,
        step: step.step,
        attempt: step.attempt,
        activity: info.activity,
        ...(info.summary ? { summary: info.summary } : {}),
      });
    } else if (event.activityTaskStartedEventAttributes) {
      const attributes = event.activityTaskStartedEventAttributes;
      stepEntry(attributes.scheduledEventId, { event: 'started', temporalAttempt: attributes.attempt ?? 1 });
    } else if (event.activityTaskCompletedEventAttributes) {
      stepEntry(event.activityTaskCompletedEventAttributes.scheduledEventId, { event: 'completed' });
    } else if (event.activityTaskFailedEventAttributes) {
      const attributes = event.activityTaskFailedEventAttributes;
      stepEntry(attributes.scheduledEventId, { event: 'failed' }, attributes.failure);
    } else if (event.activityTaskTimedOutEventAttributes) {
      const attributes = event.activityTaskTimedOutEventAttributes;
      stepEntry(attributes.scheduledEventId, { event: 'timed-out' }, attributes.failure);
    } else if (event.activityTaskCanceledEventAttributes) {
      stepEntry(event.activityTaskCanceledEventAttributes.scheduledEventId, { event: 'cancelled' });
    } else if (event.upsertWorkflowSearchAttributesEventAttributes) {
      const fields = event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields;
      const status = searchAttributesOf(fields)[SagaStatusKey.name];
      // A saga started before `startSaga` wrote it repeats it in its first upsert: one entry per change.
      if (typeof status === 'string' && status !== lastStatus()) timeline.push({ ...base, type: 'status', status });
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      const name = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name ?? '';
      timeline.push({ ...base, type: 'update', name });
    } else if (event.workflowExecutionCompletedEventAttributes) {
      timeline.push({ ...base, type: 'saga-closed', outcome: 'completed' });
    } else if (event.workflowExecutionFailedEventAttributes) {
      const failure = failureOf(event.workflowExecutionFailedEventAttributes.failure);
      timeline.push({ ...base, type: 'saga-closed', outcome: 'failed', ...(failure ? { failure } : {}) });
    } else if (event.workflowExecutionCanceledEventAttributes) {
      timeline.push({ ...base, type: 'saga-closed', outcome: 'cancelled' });
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      timeline.push({ ...base, type: 'saga-closed', outcome: 'terminated' });
    } else if (event.workflowExecutionTimedOutEventAttributes) {
      timeline.push({ ...base, type: 'saga-closed', outcome: 'timed-out' });
    }
  }
  return timeline;
}
