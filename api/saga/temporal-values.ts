/**
 * Values in the Temporal API's messages, in plain terms, through the SDK's public API only: timestamps as dates,
 * and search attributes (each a JSON payload) by name.
 */
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { google } from '@temporalio/proto';

/** A protobuf timestamp as a date; `undefined` for none. */
export function dateOf(timestamp: google.protobuf.ITimestamp | null | undefined): Date | undefined {
  if (!timestamp) return undefined;
  const { seconds, nanos } = timestamp;
  const wholeSeconds = typeof seconds === 'number' ? seconds : (seconds?.toNumber() ?? 0);
  return new Date(wholeSeconds * 1000 + Math.floor((nanos ?? 0) / 1_000_000));
}

/** Search attributes as visibility stores them, decoded, by name: a keyword is a string, a datetime its ISO text. */
export function searchAttributesOf(fields: Record<string, Payload> | null | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields ?? {}).map(([name, payload]) => [name, defaultPayloadConverter.fromPayload(payload)]),
  );
}
