/**
 * How the API reads the errors of Temporal calls: by gRPC status code or the SDK's error name, anywhere in the
 * cause chain (the SDK wraps the transport's error).
 */
import type { FailureLike } from '../../workflows/saga';
import { causeChain } from '../../workflows/saga';

const GrpcStatus = { Cancelled: 1, InvalidArgument: 3, DeadlineExceeded: 4, NotFound: 5, Unavailable: 14 } as const;

function anyCause(error: unknown, test: (cause: FailureLike) => boolean): boolean {
  for (const cause of causeChain(error)) if (test(cause)) return true;
  return false;
}

/** The call ran out of time. */
export function isDeadlineExceeded(error: unknown): boolean {
  return anyCause(error, (cause) => cause.code === GrpcStatus.DeadlineExceeded);
}

/**
 * The call ran out of the time the caller gave it (`deadline`, ms since the epoch): a deadline exceeded, or a call
 * the client cancelled once that deadline had passed, as gRPC reports a deadline that fires while the call starts.
 */
export function isPastDeadline(error: unknown, deadline: number): boolean {
  return (
    isDeadlineExceeded(error) ||
    (Date.now() >= deadline && anyCause(error, (cause) => cause.code === GrpcStatus.Cancelled))
  );
}

/** The Temporal server is out of reach or did not answer in time. */
export function isTemporalUnavailable(error: unknown): boolean {
  return anyCause(
    error,
    (cause) =>
      cause.code === GrpcStatus.Unavailable ||
      cause.code === GrpcStatus.DeadlineExceeded ||
      cause.name === 'TransportError',
  );
}

/**
 * The server refused a request's content (gRPC INVALID_ARGUMENT). Not retried by the SDK, and not a sign of an
 * outage: whoever wrote the refused value is at fault.
 */
export function isInvalidArgument(error: unknown): boolean {
  return anyCause(error, (cause) => cause.code === GrpcStatus.InvalidArgument);
}

/** No such workflow: the SDK's WorkflowNotFoundError, or a raw NOT_FOUND (fetching the history of none). */
export function isNotFound(error: unknown): boolean {
  return anyCause(error, (cause) => cause.name === 'WorkflowNotFoundError' || cause.code === GrpcStatus.NotFound);
}
