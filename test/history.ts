/** Reads a workflow's event history the way the engine's tests assert on it: activities in event order. */
import type { WorkflowHandle } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

export interface ActivityEvent {
  eventId: number;
  kind: 'scheduled' | 'completed' | 'failed' | 'timedOut' | 'cancelRequested' | 'cancelled';
  /** `perform` or `undo` for the test activities. */
  activityType: string;
  /** For a saga step's activity, `<kind>:<step>:<attempt>.<call>`. */
  activityId: string;
  /** The step, read from the activity's input. */
  step: string;
  summary: string | undefined;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A JSON payload's value, such as a summary `historyOf` decoded. */
export function decodeJson(payload: temporal.api.common.v1.IPayload | null | undefined): unknown {
  return payload?.data ? JSON.parse(Buffer.from(payload.data).toString('utf8')) : undefined;
}

/** `payload` through `codecs`, last first, as a worker decodes it. */
async function decoded(codecs: readonly PayloadCodec[], payload: Payload): Promise<Payload> {
  let payloads = [payload];
  for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
  return payloads[0]!;
}

/**
 * The workflow's events, with the payloads the helpers below read (its input, an activity's input, its summary) decoded
 * through the handle's client codecs: the history holds them encrypted.
 */
export async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const codecs = handle.client.options.loadedDataConverter.payloadCodecs;
  for (const event of events) {
    const started = event.workflowExecutionStartedEventAttributes?.input;
    if (started?.payloads?.[0]) started.payloads[0] = await decoded(codecs, started.payloads[0]);
    const input = event.activityTaskScheduledEventAttributes?.input;
    if (input?.payloads?.[0]) input.payloads[0] = await decoded(codecs, input.payloads[0]);
    if (event.userMetadata?.summary) event.userMetadata.summary = await decoded(codecs, event.userMetadata.summary);
  }
  return events;
}

/** The activities and Nexus operations the workflow scheduled, by name, in order. */
export function stepCallsOf(events: HistoryEvent[]): string[] {
  return events.flatMap(
    (event) =>
      event.activityTaskScheduledEventAttributes?.activityType?.name ??
      event.nexusOperationScheduledEventAttributes?.operation ??
      [],
  );
}

/** Every activity event, with the activity type and step of its scheduled event. */
export function activityEvents(events: HistoryEvent[]): ActivityEvent[] {
  const scheduled = new Map<number, Omit<ActivityEvent, 'eventId' | 'kind'>>();
  const result: ActivityEvent[] = [];
  for (const event of events) {
    const eventId = Number(event.eventId);
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes) {
      const input = decodeJson(attributes.input?.payloads?.[0]) as { step?: string } | undefined;
      const summary = decodeJson(event.userMetadata?.summary) as string | undefined;
      const info = {
        activityType: attributes.activityType?.name ?? '',
        activityId: attributes.activityId ?? '',
        step: input?.step ?? '',
        summary,
      };
      scheduled.set(eventId, info);
      result.push({ eventId, kind: 'scheduled', ...info });
      continue;
    }
    const outcomes = [
      ['completed', event.activityTaskCompletedEventAttributes],
      ['failed', event.activityTaskFailedEventAttributes],
      ['timedOut', event.activityTaskTimedOutEventAttributes],
      ['cancelRequested', event.activityTaskCancelRequestedEventAttributes],
      ['cancelled', event.activityTaskCanceledEventAttributes],
    ] as const;
    for (const [kind, outcome] of outcomes) {
      if (!outcome) continue;
      const info = scheduled.get(Number(outcome.scheduledEventId));
      if (info) result.push({ eventId, kind, ...info });
    }
  }
  return result;
}

/** `activity:step` for each event of `kind`, in history order. */
export function sequence(events: ActivityEvent[], kind: ActivityEvent['kind'], activityType?: string): string[] {
  return events
    .filter((event) => event.kind === kind && (!activityType || event.activityType === activityType))
    .map((event) => `${event.activityType}:${event.step}`);
}

/**
 * The `ActivityTaskStarted` event of the first activity of `activityType`: the history records only the last
 * attempt's start, with its attempt number and the failure of the attempt before.
 */
export function lastStartOf(events: HistoryEvent[], activityType: string) {
  const scheduled = events.find(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  );
  return events.find(
    (event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled?.eventId),
  )?.activityTaskStartedEventAttributes;
}
