/**
 * The HTTP trigger from a team's side: a second saga, declared in a few lines with its own schema, gets its
 * routes and OpenAPI entries with no route code. Its operator route guards escalations with the operator token.
 */
import { z } from 'zod';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import type { SagaTrigger } from '../api/saga/trigger';
import { listen } from '../api/server';
import type { HttpServer } from '../api/server';
import { eventually, postJson, request } from './http';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import type { scriptedSaga } from './sagas/workflows';

const operatorToken = 'second-saga-operator-token';

/** A "booking" saga: hold a room, then pay; the payment can be told to wait, or to fail its undo. */
const BookingRequestSchema = z.strictObject({
  guest: z.string().min(1).max(50),
  /** Keep the payment step waiting, so that the booking can be cancelled mid-way. */
  holdPayment: z.boolean().default(false),
  /** Make the room's undo fail, so that the saga escalates to an operator. */
  breakRoomUndo: z.boolean().default(false),
});

function bookingTrigger(taskQueue: string): SagaTrigger<typeof BookingRequestSchema, typeof scriptedSaga> {
  return {
    resource: 'bookings',
    singular: 'booking',
    input: BookingRequestSchema,
    workflow: 'scriptedSaga',
    workflowType: 'scriptedSaga',
    taskQueue,
    args: (booking) => [
      {
        plan: [
          { name: 'holdRoom', ...(booking.breakRoomUndo ? { compensation: { kind: 'failUntilFixed' } } : {}) },
          {
            name: 'pay',
            behaviour: booking.holdPayment
              ? { kind: 'waitForRelease' }
              : booking.breakRoomUndo
                ? { kind: 'fail', type: 'PaymentDeclined' }
                : { kind: 'succeed' },
          },
        ],
        options: booking.breakRoomUndo
          ? { onCompensationFailure: 'escalate', compensationRetry: { maximumAttempts: 1 } }
          : {},
      },
    ],
    summary: (booking) => `Booking for ${booking.guest}`,
  };
}

describe('a second saga on the HTTP trigger', () => {
  let bench: SagaHarness;
  let http: HttpServer;
  let api: string;
  beforeAll(async () => {
    bench = await startSagaHarness();
    const app = createApp({
      client: bench.client,
      sagas: [bookingTrigger(bench.taskQueue)],
      operatorToken,
      logger: createLogger('silent'),
    });
    http = await listen(app, { host: '127.0.0.1', port: 0 });
    api = http.url;
  });
  afterAll(async () => {
    await http?.close();
    await bench?.stop();
  });

  it('is started, read, cancelled, listed and documented with no route code of its own', async () => {
    const started = await postJson(`${api}/bookings`, { guest: 'Grace', holdPayment: true });
    expect(started.status).toBe(202);
    const { bookingId } = started.body as { bookingId: string };
    expect(started.location).toBe(`/bookings/${bookingId}`);
    const sagaId = `booking-${bookingId}`;

    const read = await eventually(async () => {
      const response = await request(`${api}/bookings/${bookingId}`);
      const body = response.body as { saga?: { steps: { name: string; status: string }[] } };
      return body.saga?.steps[1]?.status === 'running' ? response : undefined;
    });
    expect(read.body).toMatchObject({ bookingId, status: 'running', saga: { sagaId } });

    expect((await postJson(`${api}/bookings/${bookingId}/cancel`, { reason: 'plans changed' })).status).toBe(202);
    bench.service.release(sagaId, 'pay');
    const cancelled = await eventually(async () => {
      const body = (await request(`${api}/bookings/${bookingId}`)).body as { status: string };
      return body.status === 'compensated' ? body : undefined;
    });
    expect(cancelled).toMatchObject({ saga: { failure: { type: 'SagaCancelled', message: 'plans changed' } } });
    expect(bench.service.done(sagaId, 'undo')).toEqual(['pay', 'holdRoom']);

    const listed = await eventually(async () => {
      const body = (await request(`${api}/bookings?pageSize=50`)).body as { items: { bookingId: string }[] };
      return body.items.some((item) => item.bookingId === bookingId) ? body : undefined;
    });
    expect(listed.items.length).toBeGreaterThanOrEqual(1);

    const document = (await request(`${api}/openapi.json`)).body as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/bookings',
        '/bookings/{id}',
        '/bookings/{id}/cancel',
        '/bookings/{id}/compensations/resolve',
        '/bookings/{id}/history',
        '/healthz',
        '/readyz',
      ].sort(),
    );
    expect(document.components.schemas).toHaveProperty('BookingRequest');
    expect(document.components.schemas).toHaveProperty('Booking');
  });

  it('lets only an operator with the token resolve an escalated compensation', async () => {
    const started = await postJson(`${api}/bookings`, { guest: 'Alan', breakRoomUndo: true });
    const { bookingId } = started.body as { bookingId: string };
    await eventually(async () => {
      const body = (await request(`${api}/bookings/${bookingId}`)).body as { status: string };
      return body.status === 'needs_attention' ? body : undefined;
    });
    const resolve = (authorization?: string) =>
      request(`${api}/bookings/${bookingId}/compensations/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ step: 'holdRoom', action: 'skip', reason: 'refunded at the desk' }),
      });

    const missing = await resolve();
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ type: 'urn:temporal-saga:problem:unauthorized' });
    const wrong = await resolve('Bearer not-the-token');
    expect(wrong.status).toBe(403);
    expect(wrong.body).toMatchObject({ type: 'urn:temporal-saga:problem:forbidden' });
    expect((await request(`${api}/bookings/${bookingId}`)).body).toMatchObject({ status: 'needs_attention' });

    const accepted = await resolve(`Bearer ${operatorToken}`);
    expect(accepted.status).toBe(202);
    const compensated = await eventually(async () => {
      const body = (await request(`${api}/bookings/${bookingId}`)).body as { status: string };
      return body.status === 'compensated' ? body : undefined;
    });
    expect(compensated).toMatchObject({ saga: { steps: [{ compensation: { status: 'skipped' } }, {}] } });
    const again = await resolve(`Bearer ${operatorToken}`);
    expect(again.status).toBe(409);
  });
});
