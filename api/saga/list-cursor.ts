/**
 * The cursor of a saga list: Temporal's page token, behind a tag that ties it to the visibility query it pages
 * through (the first bytes of a SHA-256 of query and token).
 *
 * Why a tag: a client that sends back anything but a cursor the same query issued must get a 400, and Temporal
 * cannot be relied on to say so. SQL visibility (SQLite, PostgreSQL) answers a page token it cannot parse with
 * UNKNOWN, which the SDK retries as transient until the caller's deadline, so the forgery looked like an outage
 * (503); and a token from another query is accepted, and pages that query from an unrelated point. With the tag, a
 * cursor that is made up, edited, cut short or sent with other filters is refused here, without a call. The tag has
 * no key, so it is integrity, not authenticity: someone who computes it for a token of their own still reaches
 * Temporal, which judges the token (see `listSagas`); on SQL visibility that is the 503 again. A key shared by the
 * API's processes would close that.
 */
import { createHash } from 'node:crypto';

const tagBytes = 12;

function tagOf(query: string, pageToken: Uint8Array): Buffer {
  return createHash('sha256').update(query).update('\n').update(pageToken).digest().subarray(0, tagBytes);
}

/** The cursor (base64url) that hands `pageToken` back to the next request for `query`. */
export function encodeListCursor(query: string, pageToken: Uint8Array): string {
  return Buffer.concat([tagOf(query, pageToken), pageToken]).toString('base64url');
}

/** The page token in `cursor`, or `undefined` when `cursor` is not one that {@link encodeListCursor} gave for `query`. */
export function decodeListCursor(query: string, cursor: string): Buffer | undefined {
  const bytes = Buffer.from(cursor, 'base64url');
  const pageToken = bytes.subarray(tagBytes);
  if (pageToken.length === 0 || !tagOf(query, pageToken).equals(bytes.subarray(0, tagBytes))) return undefined;
  return pageToken;
}

/** A list request's cursor is not the `nextCursor` of a page of the same query: the caller's error, not an outage. */
export class InvalidCursorError extends Error {
  constructor() {
    super('expected the nextCursor of a previous page with the same filters');
    this.name = 'InvalidCursorError';
  }
}
