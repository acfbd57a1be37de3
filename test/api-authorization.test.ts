/**
 * Who may do what on the order API, route by route, against the real API and sagas: without a token every route is
 * a 401; a customer starts, reads, lists, cancels and sees the timeline of their own orders only (another
 * customer's order is a 404, as if it did not exist, and their cancel reaches no saga); operators, by the operator
 * token or by a JWT with the operator role, do everything, raw events and resolutions included. Then the same with
 * tokens from an identity provider's JWKS, as in production.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { JWK, KeyLike } from 'jose';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { signToken } from '../api/access-tokens';
import { createApp } from '../api/app';
import { orderWorkflowId } from '../api/orders/trigger';
import { createLogger } from '../api/request-log';
import { listen } from '../api/server';
import { orderRequest } from './fixtures/orders';
import type { JsonResponse } from './http';
import { postJson, request } from './http';
import { orderReaches, ordersStartedSince, placeOrder } from './orders';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken, testOperatorToken, testTokenSettings } from './tokens';

interface Customer {
  id: string;
  token: string;
}

async function newCustomer(): Promise<Customer> {
  const id = `customer-${randomUUID()}`;
  return { id, token: await customerToken(id) };
}

/** Every string-valued key anywhere in `value`, e.g. to find `stackTrace` in nested failures. */
function keysOf(value: unknown, keys = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysOf(item, keys);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      keys.add(key);
      keysOf(inner, keys);
    }
  }
  return keys;
}

function expectProblem(response: JsonResponse, status: number, type: string) {
  expect({ status: response.status, contentType: response.contentType }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(response.body).toMatchObject({ type: `urn:temporal-saga:problem:${type}`, status });
}

describe('authorization of the order API', () => {
  let system: TestSystem;
  let alice: Customer;
  let bob: Customer;
  /** Alice's order, ended, with a compensation in its history (an undeliverable address). */
  let aliceOrder: string;

  beforeAll(async () => {
    system = await startTestSystem();
    alice = await newCustomer();
    bob = await newCustomer();
    aliceOrder = await placeOrder(system.apiUrl, {
      customerId: alice.id,
      shippingAddress: { name: 'A', line1: '1 Road', city: 'Atlantis', postalCode: '00000', country: 'GR' },
    });
    await orderReaches(system.apiUrl, aliceOrder, ['failed', 'cancelled', 'compensated']);
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  const url = (path: string) => `${system.apiUrl}${path}`;

  it('answers 401 with WWW-Authenticate on every order route without a token, and starts nothing', async () => {
    const since = new Date();
    const routes: [string, string, unknown?][] = [
      ['POST', '/orders', orderRequest({ customerId: alice.id })],
      ['GET', '/orders'],
      ['GET', `/orders/${aliceOrder}`],
      ['POST', `/orders/${aliceOrder}/cancel`, {}],
      ['GET', `/orders/${aliceOrder}/history`],
      ['POST', `/orders/${aliceOrder}/compensations/resolve`, { step: 'chargePayment', action: 'skip' }],
    ];
    for (const [method, path, body] of routes) {
      for (const authorization of [undefined, 'Basic YWxpY2U6c2VjcmV0', 'Bearer', `Token ${alice.token}`]) {
        const response = await fetch(url(path), {
          method,
          headers: {
            'content-type': 'application/json',
            ...(authorization === undefined ? {} : { authorization }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        expect([`${method} ${path} ${authorization}`, response.status]).toEqual([
          `${method} ${path} ${authorization}`,
          401,
        ]);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
        expect(await response.json()).toMatchObject({ type: 'urn:temporal-saga:problem:unauthorized' });
      }
    }
    expect((await request(url('/healthz'))).status).toBe(200);
    expect((await request(url('/openapi.json'))).status).toBe(200);
    expect(await ordersStartedSince(system, since)).toEqual([]);
  });

  it("lets a customer start only their own orders: another customer's id is a 403 that starts nothing", async () => {
    const since = new Date();
    const refused = await postJson(url('/orders'), orderRequest({ customerId: alice.id }), bob.token);
    expectProblem(refused, 403, 'forbidden');
    const own = await postJson(url('/orders'), orderRequest({ customerId: bob.id }), bob.token);
    expect(own.status).toBe(202);
    const started = await ordersStartedSince(system, since);
    expect(started).toEqual([orderWorkflowId((own.body as { orderId: string }).orderId)]);
  });

  it("answers 404 to a customer for another customer's order, exactly as for none, on every route", async () => {
    const missing = randomUUID();
    for (const id of [aliceOrder, missing]) {
      expectProblem(await request(url(`/orders/${id}`), { token: bob.token }), 404, 'not-found');
      expectProblem(await request(url(`/orders/${id}/history`), { token: bob.token }), 404, 'not-found');
      expectProblem(await postJson(url(`/orders/${id}/cancel`), {}, bob.token), 404, 'not-found');
      const resolve = await postJson(
        url(`/orders/${id}/compensations/resolve`),
        { step: 'chargePayment', action: 'skip' },
        bob.token,
      );
      expectProblem(resolve, 404, 'not-found');
    }
    // Bob's cancel never reached Alice's saga.
    const read = await request(url(`/orders/${aliceOrder}`), { token: alice.token });
    expect(read.status).toBe(200);
    expect((read.body as { saga: { cancellation?: unknown } }).saga.cancellation).toBeUndefined();
  });

  it("lists only the caller's own orders, whatever filter a customer sends", async () => {
    const listed = async (token: string, query = '') => {
      const response = await request(url(`/orders?pageSize=100${query}`), { token });
      expect(response.status).toBe(200);
      return (response.body as { items: { orderId: string; searchAttributes: { CustomerId?: string } }[] }).items;
    };
    // Visibility shows a new order within a moment; the operator's list finds Alice's order first.
    let operatorView: string[] = [];
    for (let attempt = 0; attempt < 50 && !operatorView.includes(aliceOrder); attempt++) {
      operatorView = (await listed(testOperatorToken, `&customerId=${alice.id}`)).map((item) => item.orderId);
      if (!operatorView.includes(aliceOrder)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(operatorView).toContain(aliceOrder);

    const alicesList = await listed(alice.token);
    expect(alicesList.map((item) => item.orderId)).toContain(aliceOrder);
    expect(new Set(alicesList.map((item) => item.searchAttributes.CustomerId))).toEqual(new Set([alice.id]));
    const bobsList = await listed(bob.token);
    expect(bobsList.map((item) => item.orderId)).not.toContain(aliceOrder);
    expect(await listed(bob.token, `&customerId=${alice.id}`)).toEqual([]);
  });

  it("gives a customer their order's timeline without the raw events, and no diagnostics or resolution", async () => {
    const history = await request(url(`/orders/${aliceOrder}/history`), { token: alice.token });
    expect(history.status).toBe(200);
    const body = history.body as { timeline: { type: string }[]; events?: unknown };
    expect(body.timeline.map((entry) => entry.type)).toContain('saga-closed');
    expect(body).not.toHaveProperty('events');
    const diagnostics = await request(url(`/orders/${aliceOrder}/history?diagnostics=true`), { token: alice.token });
    expectProblem(diagnostics, 403, 'forbidden');
    const resolve = await postJson(
      url(`/orders/${aliceOrder}/compensations/resolve`),
      { step: 'chargePayment', action: 'skip' },
      alice.token,
    );
    expectProblem(resolve, 403, 'forbidden');
  });

  it('lets a customer cancel their own order', async () => {
    const orderId = await placeOrder(system.apiUrl, { customerId: bob.id });
    const cancel = await postJson(url(`/orders/${orderId}/cancel`), { reason: 'changed my mind' }, bob.token);
    // Accepted before the pivot, refused after: either way the customer was allowed to ask.
    expect([202, 409]).toContain(cancel.status);
    if (cancel.status === 409) expectProblem(cancel, 409, 'cancel-rejected');
  });

  it('lets operators do everything: by the operator token, or by a JWT with the operator role', async () => {
    const operatorJwt = await signToken(testTokenSettings, { subject: 'ops-1', operator: true });
    for (const token of [testOperatorToken, operatorJwt]) {
      expect((await request(url(`/orders/${aliceOrder}`), { token })).status).toBe(200);

      const history = await request(url(`/orders/${aliceOrder}/history`), { token });
      expect(history.status).toBe(200);
      const events = (history.body as { events: unknown[] }).events;
      expect(events.length).toBeGreaterThan(5);
      const keys = keysOf(events);
      expect(keys.has('stackTrace')).toBe(false);
      expect(keys.has('identity')).toBe(false);

      const full = await request(url(`/orders/${aliceOrder}/history?diagnostics=true`), { token });
      expect(full.status).toBe(200);
      expect(keysOf((full.body as { events: unknown[] }).events).has('identity')).toBe(true);

      // Nothing is escalated: the resolution is refused by the saga, past authorization.
      const resolve = await postJson(
        url(`/orders/${aliceOrder}/compensations/resolve`),
        { step: 'chargePayment', action: 'skip' },
        token,
      );
      expectProblem(resolve, 409, 'resolution-rejected');

      // An ended order: the cancel reaches the saga, which says there is nothing to cancel.
      expectProblem(await postJson(url(`/orders/${aliceOrder}/cancel`), {}, token), 409, 'cancel-rejected');

      // An operator may start an order for any customer.
      expect((await postJson(url('/orders'), orderRequest({ customerId: bob.id }), token)).status).toBe(202);
    }
  });

  it('states in the OpenAPI document what each route requires, and its 401, 403, 404 and 429 answers', async () => {
    const document = (await request(url('/openapi.json'))).body as {
      components: { securitySchemes: Record<string, { type: string; scheme: string; bearerFormat?: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(document.components.securitySchemes.bearerToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const answers = (path: string, method: string) => {
      const operation = document.paths[path]![method]!;
      return { security: operation.security, statuses: Object.keys(operation.responses).sort() };
    };
    const bearer = [{ bearerToken: [] }];
    expect(answers('/healthz', 'get')).toEqual({ security: [], statuses: ['200'] });
    const orders = answers('/orders', 'post');
    expect(orders.security).toEqual(bearer);
    expect(orders.statuses).toEqual(expect.arrayContaining(['202', '400', '401', '403', '429', '503']));
    expect(answers('/orders', 'get').statuses).toEqual(expect.arrayContaining(['200', '401', '429']));
    for (const [path, method, statuses] of [
      ['/orders/{id}', 'get', ['200', '401', '404', '429']],
      ['/orders/{id}/cancel', 'post', ['202', '401', '403', '404', '409']],
      ['/orders/{id}/history', 'get', ['200', '401', '403', '404', '429']],
      ['/orders/{id}/compensations/resolve', 'post', ['202', '401', '403', '404', '409']],
    ] as const) {
      expect(answers(path, method).security).toEqual(bearer);
      expect(answers(path, method).statuses).toEqual(expect.arrayContaining([...statuses]));
    }
  });

  it("keeps each caller's Idempotency-Keys apart: the same key from two customers starts two orders", async () => {
    const key = `key-${randomUUID()}`;
    const send = (customer: Customer) =>
      request(url('/orders'), {
        method: 'POST',
        token: customer.token,
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(orderRequest({ customerId: customer.id })),
      });
    const [first, second] = [await send(alice), await send(bob)];
    expect([first.status, second.status]).toEqual([202, 202]);
    expect((first.body as { orderId: string }).orderId).not.toBe((second.body as { orderId: string }).orderId);
  });
});

describe('tokens from an identity provider (JWKS)', () => {
  let system: TestSystem;
  let jwks: http.Server;
  let privateKey: KeyLike;
  let publicJwk: JWK;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-key-1', alg: 'ES256', use: 'sig' };
    jwks = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] }));
    });
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    const { port } = jwks.address() as AddressInfo;
    system = await startTestSystem({
      app: {
        tokens: {
          keys: { kind: 'jwks', url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`) },
          issuer: 'https://idp.example',
          audience: 'orders-api',
          operatorRole: 'order-operator',
        },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
    jwks?.close();
  });

  const idpToken = (subject: string, claims: Record<string, unknown> = {}, issuer = 'https://idp.example') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-key-1' })
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience('orders-api')
      .setExpirationTime('5m')
      .sign(privateKey);

  it("accepts the provider's tokens, with its operator role, and refuses the development secret's", async () => {
    const customer = `customer-${randomUUID()}`;
    const placed = await postJson(
      `${system.apiUrl}/orders`,
      orderRequest({ customerId: customer }),
      await idpToken(customer),
    );
    expect(placed.status).toBe(202);
    const orderId = (placed.body as { orderId: string }).orderId;

    const operator = await idpToken('ops-1', { roles: ['order-operator'] });
    const history = await request(`${system.apiUrl}/orders/${orderId}/history`, { token: operator });
    expect(history.status).toBe(200);
    expect(history.body).toHaveProperty('events');

    // HS256 with the development secret (an algorithm the provider's keys do not allow), another issuer.
    for (const token of [await customerToken(customer), await idpToken(customer, {}, 'https://other.example')]) {
      expectProblem(await request(`${system.apiUrl}/orders/${orderId}`, { token }), 401, 'unauthorized');
    }
  });
  it("answers 503 with Retry-After, not 401, while the provider's keys cannot be fetched", async () => {
    const broken = http.createServer((_req, res) => res.writeHead(500).end('down for maintenance'));
    broken.listen(0, '127.0.0.1');
    await once(broken, 'listening');
    const { port } = broken.address() as AddressInfo;
    const app = createApp({
      client: system.client,
      taskQueues: system.config.taskQueues,
      logger: createLogger('silent'),
      tokens: {
        keys: { kind: 'jwks', url: new URL(`http://127.0.0.1:${port}/jwks.json`) },
        issuer: 'https://idp.example',
        audience: 'orders-api',
        operatorRole: 'order-operator',
      },
    });
    const api = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(`${api.url}/orders`, {
        headers: { authorization: `Bearer ${await idpToken('customer-1')}` },
      });
      expect({ status: response.status, retryAfter: response.headers.get('retry-after') }).toEqual({
        status: 503,
        retryAfter: '5',
      });
      expect(await response.json()).toMatchObject({ type: 'urn:temporal-saga:problem:authentication-unavailable' });
    } finally {
      await api.close();
      broken.close();
    }
  });
});
