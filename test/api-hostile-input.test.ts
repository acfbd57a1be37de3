/**
 * Property-based: hundreds of malformed and hostile requests (fixed seed, so a failure replays) against the real
 * API, with and without valid tokens. None may be a 5xx, none may start a workflow, and the API must keep
 * answering. Then hostile tokens on every route, and the edges of the HTTP surface itself: methods a route does not
 * have, and the `Authorization` header's scheme.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import fc from 'fast-check';
import { orderRequest } from './fixtures/orders';
import { orderWorkflowId } from '../api/orders/trigger';
import { ordersStartedSince, placeOrder } from './orders';
import { postJson, request } from './http';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken, hostileTokens, testOperatorToken } from './tokens';

const runs = 600;

/** The customer whose valid token the hostile requests may carry. */
const customerId = `customer-${randomUUID()}`;
const hostileTokenNames = [
  'malformed',
  'truncated',
  'garbage',
  'expired',
  'notYetValid',
  'otherKey',
  'algNone',
  'hs512',
  'otherAudience',
  'otherIssuer',
  'noExpiry',
  'noSubject',
  'huge',
  'injecting',
] as const;

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
      '/orders?cursor=yny6e',
      '/orders?customerId=dg010WPkEA2jI3dKfJFBbR&pageSize=82&cursor=yny6e&status=dispatched',
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
  /**
   * A valid customer's token, so that the bodies reach validation; the operator's; headers that are no bearer token;
   * and hostile tokens (see `hostileTokens`) by name.
   */
  authorization: fc.option(
    fc.oneof(
      fc.constantFrom('customer', 'operator'),
      fc.constantFrom('Bearer wrong', 'Basic Zm9vOmJhcg==', 'Bearer ', 'x'.repeat(500)).map((raw) => ({ raw })),
      fc.constantFrom(...hostileTokenNames).map((hostile) => ({ hostile })),
    ),
    { nil: undefined },
  ),
  body: hostileBody,
});

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with any method: fetch refuses TRACE, and these tests need it. */
function send(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const problemTypeOf = (response: RawResponse) =>
  response.body ? (JSON.parse(response.body) as { type?: string }).type : undefined;

describe('hostile input', () => {
  let system: TestSystem;
  let startedAt: Date;
  let tokens: Record<string, string>;
  beforeAll(async () => {
    system = await startTestSystem();
    tokens = { ...(await hostileTokens(customerId)), customer: await customerToken(customerId) };
    startedAt = new Date();
  });

  /** The `Authorization` header for an arbitrary's choice. */
  const authorizationHeader = (choice: 'customer' | 'operator' | { raw: string } | { hostile: string }) => {
    if (choice === 'operator') return `Bearer ${testOperatorToken}`;
    if (choice === 'customer') return `Bearer ${tokens.customer}`;
    return 'raw' in choice ? choice.raw : `Bearer ${tokens[choice.hostile]}`;
  };
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
        if (hostile.authorization) headers.authorization = authorizationHeader(hostile.authorization);
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
  it('refuses tokens that are malformed, expired, not yet valid, signed with another key or alg, or for another API, on every route, starting nothing', async () => {
    const since = new Date();
    const orderId = await placeOrder(system.apiUrl, { customerId });
    const routes: [method: string, path: string, body?: unknown][] = [
      ['POST', '/orders', orderRequest({ customerId })],
      ['GET', '/orders'],
      ['GET', `/orders/${orderId}`],
      ['POST', `/orders/${orderId}/cancel`, {}],
      ['GET', `/orders/${orderId}/history`],
      ['POST', `/orders/${orderId}/compensations/resolve`, { step: 'chargePayment', action: 'skip' }],
    ];
    const answers: string[] = [];
    for (const name of hostileTokenNames.filter((name) => name !== 'injecting')) {
      for (const [method, path, body] of routes) {
        const response = await send(
          `${system.apiUrl}${path}`,
          method,
          { 'content-type': 'application/json', authorization: `Bearer ${tokens[name]}` },
          body === undefined ? undefined : JSON.stringify(body),
        );
        answers.push(`${name} ${method} ${path}: ${response.status} ${problemTypeOf(response)}`);
      }
    }
    expect(answers.filter((answer) => !answer.endsWith(': 401 urn:temporal-saga:problem:unauthorized'))).toEqual([]);

    // Validly signed, with a subject that tries to widen a visibility query: it owns nothing, and sees nothing.
    const injecting = tokens.injecting!;
    const list = await request(`${system.apiUrl}/orders?pageSize=100`, { token: injecting });
    expect({ status: list.status, body: list.body }).toEqual({ status: 200, body: { items: [] } });
    expect((await request(`${system.apiUrl}/orders/${orderId}`, { token: injecting })).status).toBe(404);
    expect((await postJson(`${system.apiUrl}/orders`, orderRequest({ customerId }), injecting)).status).toBe(403);

    // Only the order placed above, by its customer, started.
    expect(await ordersStartedSince(system, since)).toEqual([orderWorkflowId(orderId)]);
  });

  it('answers a method a route does not have with 405 and Allow, and OPTIONS with 204 and Allow', async () => {
    const orderId = randomUUID();
    const getOnly = 'GET, HEAD, OPTIONS';
    const postOnly = 'OPTIONS, POST';
    const refused: [method: string, path: string, allow: string][] = [
      ['TRACE', '/orders', 'GET, HEAD, OPTIONS, POST'],
      ['DELETE', '/orders', 'GET, HEAD, OPTIONS, POST'],
      ['TRACE', '/healthz', getOnly],
      ['POST', '/readyz', getOnly],
      ['PUT', '/openapi.json', getOnly],
      ['DELETE', `/orders/${orderId}`, getOnly],
      ['PATCH', `/orders/${orderId}`, getOnly],
      ['GET', `/orders/${orderId}/cancel`, postOnly],
      ['HEAD', `/orders/${orderId}/cancel`, postOnly],
      ['DELETE', `/orders/${orderId}/history`, getOnly],
      ['PUT', `/orders/${orderId}/compensations/resolve`, postOnly],
    ];
    const answers = await Promise.all(
      refused.map(async ([method, path]) => {
        const response = await send(`${system.apiUrl}${path}`, method);
        return {
          request: `${method} ${path}`,
          status: response.status,
          allow: response.headers.allow,
          contentType: response.headers['content-type'],
          type: problemTypeOf(response),
        };
      }),
    );
    expect(answers).toEqual(
      refused.map(([method, path, allow]) => ({
        request: `${method} ${path}`,
        status: 405,
        allow,
        contentType: 'application/problem+json; charset=utf-8',
        // A HEAD answer has no body.
        type: method === 'HEAD' ? undefined : 'urn:temporal-saga:problem:method-not-allowed',
      })),
    );

    const options = await send(`${system.apiUrl}/orders`, 'OPTIONS');
    expect({ status: options.status, allow: options.headers.allow, body: options.body }).toEqual({
      status: 204,
      allow: 'GET, HEAD, OPTIONS, POST',
      body: '',
    });
    expect((await send(`${system.apiUrl}/orders/${orderId}/cancel`, 'OPTIONS')).headers.allow).toBe(postOnly);

    // HEAD stays what express makes of a GET route (so it wants a token where GET does); a path no route serves
    // stays a 404, whatever the method.
    expect((await send(`${system.apiUrl}/healthz`, 'HEAD')).status).toBe(200);
    expect((await send(`${system.apiUrl}/orders/${orderId}`, 'HEAD')).status).toBe(401);
    const operator = { authorization: `Bearer ${testOperatorToken}` };
    expect((await send(`${system.apiUrl}/orders/${orderId}`, 'HEAD', operator)).status).toBe(404);
    for (const [method, path] of [
      ['TRACE', '/nowhere'],
      ['OPTIONS', '/nowhere'],
      ['DELETE', `/orders/${orderId}/nowhere`],
    ] as const) {
      const response = await send(`${system.apiUrl}${path}`, method);
      expect({ request: `${method} ${path}`, status: response.status, type: problemTypeOf(response) }).toEqual({
        request: `${method} ${path}`,
        status: 404,
        type: 'urn:temporal-saga:problem:not-found',
      });
    }
  });

  it('reads the Authorization scheme in any case, and still wants the token exactly', async () => {
    // An order that does not exist: a request the token lets through ends in 404, one it stops in 401.
    const resolve = async (authorization?: string) =>
      (
        await send(
          `${system.apiUrl}/orders/${randomUUID()}/compensations/resolve`,
          'POST',
          { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
          JSON.stringify({ step: 'chargePayment', action: 'skip' }),
        )
      ).status;
    const expected: [authorization: string, status: number][] = [
      [`Bearer ${testOperatorToken}`, 404],
      [`bearer ${testOperatorToken}`, 404],
      [`BEARER ${testOperatorToken}`, 404],
      [`bEaReR  ${testOperatorToken}`, 404],
      [`Bearer ${testOperatorToken.toUpperCase()}`, 401],
      [`bearer ${testOperatorToken}x`, 401],
      ['Bearer wrong', 401],
      [`Basic ${Buffer.from(`operator:${testOperatorToken}`).toString('base64')}`, 401],
      [`Bearer${testOperatorToken}`, 401],
    ];
    const answered = await Promise.all(expected.map(async ([header]) => [header, await resolve(header)]));
    expect(answered).toEqual(expected);
    expect(await resolve()).toBe(401);
  });
});
