/** Reads a workflow's event history the way the engine's tests assert on it: activities in event order. */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export interface ActivityEvent {
  eventId: number;
  kind: 'scheduled' | 'completed' | 'failed' | 'timedOut' | 'cancelRequested' | 'cancelled';
  /** `perform` or `undo` for the test activities. */
  activityType: string;
  /** The step, read from the activity's input. */
  step: string;
  summary: string | undefined;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function decodeJson(payload: temporal.api.common.v1.IPayload | null | undefined): unknown {
  return payload?.data ? JSON.parse(Buffer.from(payload.data).toString('utf8')) : undefined;
}

export async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

/** Every activity event, with the activity type and step of its scheduled event. */
export function activityEvents(events: HistoryEvent[]): ActivityEvent[] {
  const scheduled = new Map<number, { activityType: string; step: string; summary: string | undefined }>();
  const result: ActivityEvent[] = [];
  for (const event of events) {
    const eventId = Number(event.eventId);
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes) {
      const input = decodeJson(attributes.input?.payloads?.[0]) as { step?: string } | undefined;
      const summary = decodeJson(event.userMetadata?.summary) as string | undefined;
      const info = { activityType: attributes.activityType?.name ?? '', step: input?.step ?? '', summary };
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
