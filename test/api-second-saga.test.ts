/**
 * The HTTP trigger from a team's side: a second saga, declared in a few lines with its own schema and its own
 * access policy, gets its routes and OpenAPI entries with no route code. Guests book, read, list and cancel their
 * own bookings with their tokens; only an operator resolves an escalation.
 */
import { randomUUID } from 'node:crypto';
import express from 'express';
import { z } from 'zod';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import { ownedBy } from '../api/saga/access';
import type { SagaTrigger } from '../api/saga/trigger';
import { createSagaRouter } from '../api/saga/trigger';
import { listen } from '../api/server';
import type { HttpServer } from '../api/server';
import { CustomerIdKey } from '../workflows/search-attributes';
import { eventually, postJson, request } from './http';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import type { scriptedSaga } from './sagas/workflows';
import { customerToken, testTokenSettings } from './tokens';

const operatorToken = 'second-saga-operator-token';

/** A guest's id: the subject of their token, and characters that need no quoting in a visibility query. */
const GuestIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,50}$/);

/** A "booking" saga: hold a room, then pay; the payment can be told to wait, or to fail its undo. */
const BookingRequestSchema = z.strictObject({
  /** Who books, for themselves. */
  guest: GuestIdSchema,
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
    // The test server knows the order system's search attributes only: a booking keeps its guest as the customer.
    searchAttributes: (booking) => [{ key: CustomerIdKey, value: booking.guest }],
    access: ownedBy({ ownerOf: (booking) => booking.guest, searchAttribute: CustomerIdKey, subject: GuestIdSchema }),
  };
}

/** A new guest, and their token. */
async function newGuest(name: string): Promise<{ guest: string; token: string }> {
  const guest = `${name}-${randomUUID()}`;
  return { guest, token: await customerToken(guest) };
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
      tokens: testTokenSettings,
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

  it('is started, read, cancelled, listed and documented beside the orders, with no route code of its own', async () => {
    const { guest, token } = await newGuest('grace');
    const started = await postJson(`${api}/bookings`, { guest, holdPayment: true }, token);
    expect(started.status).toBe(202);
    const { bookingId } = started.body as { bookingId: string };
    expect(started.location).toBe(`/bookings/${bookingId}`);
    const sagaId = `booking-${bookingId}`;

    const read = await eventually(async () => {
      const response = await request(`${api}/bookings/${bookingId}`, { token });
      const body = response.body as { saga?: { steps: { name: string; status: string }[] } };
      return body.saga?.steps[1]?.status === 'running' ? response : undefined;
    });
    expect(read.body).toMatchObject({ bookingId, status: 'running', saga: { sagaId } });

    const cancel = await postJson(`${api}/bookings/${bookingId}/cancel`, { reason: 'plans changed' }, token);
    expect(cancel.status).toBe(202);
    bench.service.release(sagaId, 'pay');
    const cancelled = await eventually(async () => {
      const body = (await request(`${api}/bookings/${bookingId}`, { token })).body as { status: string };
      return body.status === 'compensated' ? body : undefined;
    });
    expect(cancelled).toMatchObject({ saga: { failure: { type: 'SagaCancelled', message: 'plans changed' } } });
    expect(bench.service.done(sagaId, 'undo')).toEqual(['pay', 'holdRoom']);

    // The guest's list is their own bookings: this one.
    const listed = await eventually(async () => {
      const body = (await request(`${api}/bookings?pageSize=50`, { token })).body as { items: { bookingId: string }[] };
      return body.items.some((item) => item.bookingId === bookingId) ? body : undefined;
    });
    expect(listed.items.map((item) => item.bookingId)).toEqual([bookingId]);

    const document = (await request(`${api}/openapi.json`)).body as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/bookings',
        '/bookings/compensations/resolve',
        '/bookings/{id}',
        '/bookings/{id}/cancel',
        '/bookings/{id}/compensations/resolve',
        '/bookings/{id}/history',
        // Beside the order API, not instead of it.
        '/orders',
        '/orders/compensations/resolve',
        '/orders/{id}',
        '/orders/{id}/cancel',
        '/orders/{id}/compensations/resolve',
        '/orders/{id}/history',
        '/healthz',
        '/readyz',
      ].sort(),
    );
    expect(document.components.schemas).toHaveProperty('BookingRequest');
    expect(document.components.schemas).toHaveProperty('Booking');
  });

  it('lets only an operator resolve an escalated compensation, not even its guest', async () => {
    const { guest, token } = await newGuest('alan');
    const started = await postJson(`${api}/bookings`, { guest, breakRoomUndo: true }, token);
    expect(started.status).toBe(202);
    const { bookingId } = started.body as { bookingId: string };
    const statusOf = async () =>
      ((await request(`${api}/bookings/${bookingId}`, { token })).body as { status: string }).status;
    await eventually(async () => ((await statusOf()) === 'needs_attention' ? true : undefined));
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
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ type: 'urn:temporal-saga:problem:unauthorized' });
    const byGuest = await resolve(`Bearer ${token}`);
    expect(byGuest.status).toBe(403);
    expect(byGuest.body).toMatchObject({ type: 'urn:temporal-saga:problem:forbidden' });
    expect(await statusOf()).toBe('needs_attention');

    const accepted = await resolve(`Bearer ${operatorToken}`);
    expect(accepted.status).toBe(202);
    const compensated = await eventually(async () => {
      const body = (await request(`${api}/bookings/${bookingId}`, { token })).body as { status: string };
      return body.status === 'compensated' ? body : undefined;
    });
    expect(compensated).toMatchObject({ saga: { steps: [{ compensation: { status: 'skipped' } }, {}] } });
    const again = await resolve(`Bearer ${operatorToken}`);
    expect(again.status).toBe(409);
  });

  it('lets an operator resolve every escalated booking at once, with a report; a guest resolves none', async () => {
    const ada = await newGuest('ada');
    const bob = await newGuest('bob');
    const book = async (guest: { guest: string; token: string }) =>
      (
        (await postJson(`${api}/bookings`, { guest: guest.guest, breakRoomUndo: true }, guest.token)).body as {
          bookingId: string;
        }
      ).bookingId;
    const bookings = [await book(ada), await book(ada), await book(bob)];
    const statusOf = async (bookingId: string) =>
      ((await request(`${api}/bookings/${bookingId}`, { token: operatorToken })).body as { status: string }).status;
    // Escalated, and found so by visibility.
    await eventually(async () => {
      const listed = (await request(`${api}/bookings?pageSize=100`, { token: operatorToken })).body as {
        items: { bookingId: string; searchAttributes: { SagaStatus?: string } }[];
      };
      const escalated = listed.items.filter((item) => item.searchAttributes.SagaStatus === 'needs_attention');
      return bookings.every((id) => escalated.some((item) => item.bookingId === id)) ? true : undefined;
    });
    const resolveAll = (token: string) =>
      postJson(`${api}/bookings/compensations/resolve`, { step: 'holdRoom', action: 'skip', reason: 'batch' }, token);

    const byGuest = await resolveAll(ada.token);
    expect(byGuest).toMatchObject({ status: 200, body: { resolved: [], refused: [], failed: [] } });
    expect(await Promise.all(bookings.map(statusOf))).toEqual([
      'needs_attention',
      'needs_attention',
      'needs_attention',
    ]);

    const byOperator = await resolveAll(operatorToken);
    expect(byOperator.status).toBe(200);
    const report = byOperator.body as { resolved: { bookingId: string }[]; refused: unknown[]; failed: unknown[] };
    expect(report.resolved.map((entry) => entry.bookingId)).toEqual(expect.arrayContaining(bookings));
    expect(report.failed).toEqual([]);
    await eventually(async () =>
      (await Promise.all(bookings.map(statusOf))).every((status) => status === 'compensated') ? true : undefined,
    );
  });

  it('works mounted alone in a bare express app: no body parser, request logger or error handler of its own', async () => {
    const logged: string[] = [];
    const app = express();
    app.use(
      '/trips/bookings',
      createSagaRouter(bookingTrigger(bench.taskQueue), {
        client: bench.client,
        authenticate: async (req) => {
          const guest = req.get('x-guest');
          if (!guest) throw new Error('no guest');
          return { subject: guest, operator: false };
        },
        logger: { info: (_fields, message) => logged.push(message), error: (_fields, message) => logged.push(message) },
        waitTimeoutMs: 1000,
        temporalTimeoutMs: 2500,
      }),
    );
    const bare = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      const guest = `bare-${randomUUID()}`;
      const post = (body: string, headers: Record<string, string> = { 'x-guest': guest }) =>
        request(`${bare.url}/trips/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
      const started = await post(JSON.stringify({ guest }));
      expect(started.status).toBe(202);
      expect(logged).toEqual(['booking saga started']);
      const { bookingId } = started.body as { bookingId: string };
      const read = await request(`${bare.url}/trips/bookings/${bookingId}`, { headers: { 'x-guest': guest } });
      expect(read.body).toMatchObject({ bookingId });

      // Its own problems, as problem+json: a malformed body, an invalid one, a failed authentication (a 500 here:
      // this authenticator throws a plain error), a method its routes lack.
      const answers = [
        await post('{'),
        await post(JSON.stringify({ guest: 42 })),
        await post(JSON.stringify({ guest }), {}),
        await request(`${bare.url}/trips/bookings`, { method: 'DELETE' }),
      ].map((response) => [
        response.status,
        response.contentType.split(';')[0],
        (response.body as { type: string }).type,
      ]);
      expect(answers).toEqual([
        [400, 'application/problem+json', 'urn:temporal-saga:problem:malformed-json'],
        [400, 'application/problem+json', 'urn:temporal-saga:problem:validation-error'],
        [500, 'application/problem+json', 'urn:temporal-saga:problem:internal-error'],
        [405, 'application/problem+json', 'urn:temporal-saga:problem:method-not-allowed'],
      ]);
      expect(logged).toEqual(['booking saga started', 'request failed']);
    } finally {
      await bare.close();
    }
  });
});
