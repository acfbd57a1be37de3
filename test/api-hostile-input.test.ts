/**
 * Property-based: hundreds of malformed and hostile requests (fixed seed, so a failure replays) against the real
 * API. None may be a 5xx, none may start a workflow, and the API must keep answering.
 */
import fc from 'fast-check';
import { orderRequest } from './fixtures/orders';
import { ordersStartedSince } from './orders';
import { request } from './http';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

const runs = 600;

/** A value no order field accepts: never a string, so it cannot pass for a token or an id. */
const wrongValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

/** Bodies that look like orders but are not: a valid order with one field broken, or anything at all. */
const hostileBody = fc.oneof(
  fc.anything({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"customerId":',
    'null',
    '[]',
    '""',
    '{"__proto__":{"polluted":true}}',
    '\u0000',
    '{}'.repeat(50),
  ),
  fc
    .record({ field: fc.constantFrom('customerId', 'items', 'paymentToken', 'shippingAddress'), value: wrongValue })
    .map(({ field, value }) => JSON.stringify({ ...orderRequest(), [field]: value })),
  fc.anything({ maxDepth: 2 }).map((value) => JSON.stringify({ ...orderRequest(), extra: value })),
  fc.constant(JSON.stringify({ ...orderRequest(), customerId: "x' OR CustomerId != 'x" })),
);

const hostileRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.oneof(
    fc.constant('/orders'),
    fc.string({ maxLength: 40 }).map((id) => `/orders/${encodeURIComponent(id)}`),
    fc.uuid().map((id) => `/orders/${id}`),
    fc.uuid().map((id) => `/orders/${id}/cancel`),
    fc.uuid().map((id) => `/orders/${id}/history`),
    fc.uuid().map((id) => `/orders/${id}/compensations/resolve`),
    fc.string({ maxLength: 30 }).map((query) => `/orders?${encodeURIComponent(query)}=${encodeURIComponent(query)}`),
    fc.constantFrom(
      '/orders?status=completed%27%20OR%20%271%27=%271',
      "/orders?customerId=a' OR 'b'='b",
      '/orders?pageSize=-1',
      '/orders?cursor=!!!',
      '/orders?wait=forever',
      '/../../etc/passwd',
      '/orders/%00',
    ),
  ),
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    '',
    'application/json; charset=latin1',
  ),
  idempotencyKey: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
  authorization: fc.option(fc.constantFrom('Bearer wrong', 'Basic Zm9vOmJhcg==', 'Bearer ', 'x'.repeat(500)), {
    nil: undefined,
  }),
  body: hostileBody,
});

describe('hostile input', () => {
  let system: TestSystem;
  let startedAt: Date;
  beforeAll(async () => {
    system = await startTestSystem();
    startedAt = new Date();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it(`answers ${runs} malformed or hostile requests without a 5xx and starts no workflow`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostileRequest, async (hostile) => {
        const headers: Record<string, string> = {};
        if (hostile.contentType) headers['content-type'] = hostile.contentType;
        if (hostile.idempotencyKey !== undefined)
          headers['idempotency-key'] = hostile.idempotencyKey.replace(/[\r\n]/g, '');
        if (hostile.authorization) headers.authorization = hostile.authorization;
        let response: Response;
        try {
          response = await fetch(`${system.apiUrl}${hostile.path}`, {
            method: hostile.method,
            headers,
            ...(hostile.method === 'GET' ? {} : { body: hostile.body }),
          });
        } catch (error) {
          // fetch itself refuses some header values (a client-side error, nothing reached the server).
          if (error instanceof TypeError) return;
          throw error;
        }
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status).toBeLessThan(500);
        expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
      }),
      { seed: 20261126, numRuns: runs },
    );
    console.log(`Hostile requests by status: ${JSON.stringify(Object.fromEntries(statuses))}`);

    expect((await request(`${system.apiUrl}/healthz`)).status).toBe(200); // still answering
    expect(await ordersStartedSince(system, startedAt)).toEqual([]);
  }, 120_000);
});
