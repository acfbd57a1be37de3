/**
 * How the API reads the errors of its Temporal calls (api/saga/temporal-errors.ts): a gRPC status anywhere in the
 * cause chain, as the SDK wraps the transport's error. A call cancelled once the caller's deadline passed is that
 * deadline, as gRPC reports a deadline that fires while the call starts; cancelled before it is not.
 */
import { ServiceError } from '@temporalio/client';
import { isDeadlineExceeded, isPastDeadline } from '../../api/saga/temporal-errors';

const grpcError = (code: number) =>
  new ServiceError('the call failed', { cause: Object.assign(new Error(`gRPC status ${code}`), { code }) });
const cancelled = grpcError(1);
const deadlineExceeded = grpcError(4);
const unavailable = grpcError(14);

describe('the errors of Temporal calls', () => {
  it('finds a deadline exceeded in the cause chain', () => {
    expect(isDeadlineExceeded(deadlineExceeded)).toBe(true);
    expect(isDeadlineExceeded(cancelled)).toBe(false);
  });

  it('takes a call cancelled after the deadline for the deadline, and not one cancelled before it', () => {
    const passed = Date.now() - 1;
    const ahead = Date.now() + 60_000;
    expect(isPastDeadline(deadlineExceeded, ahead)).toBe(true);
    expect(isPastDeadline(cancelled, passed)).toBe(true);
    expect(isPastDeadline(cancelled, ahead)).toBe(false);
    expect(isPastDeadline(unavailable, passed)).toBe(false);
    expect(isPastDeadline(new Error('no status'), passed)).toBe(false);
  });
});
