/**
 * Rate limits per caller (the subject of their token): a burst of starts or reads over the budget is refused with a
 * 429 that says when to come back, starts nothing, and does not slow the sagas already running; each customer has
 * budgets of their own, wherever they call from; operators are not limited. The buckets themselves are tested on a
 * clock of the test's own.
 */
import { randomUUID } from 'node:crypto';
import { orderWorkflowId } from '../api/orders/trigger';
import { signToken } from '../api/access-tokens';
import { idForKey } from '../api/saga/trigger';
import { TokenBuckets } from '../api/token-buckets';
import { orderRequest } from './fixtures/orders';
import { eventually } from './http';
import { placeOrder } from './orders';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken, testOperatorToken, testTokenSettings } from './tokens';

describe('token buckets', () => {
  it('allow a burst of the limit, then one per window/limit, and say when to retry and when the budget is back', () => {
    let now = 0;
    const buckets = new TokenBuckets({ limit: 3, windowMs: 60_000, now: () => now });
    expect([1, 2, 3, 4].map(() => buckets.take('a'))).toEqual([
      { allowed: true, limit: 3, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 },
      { allowed: true, limit: 3, remaining: 1, resetSeconds: 40, retryAfterSeconds: 0 },
      { allowed: true, limit: 3, remaining: 0, resetSeconds: 60, retryAfterSeconds: 0 },
      { allowed: false, limit: 3, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20 },
    ]);
    expect(buckets.take('b').allowed).toBe(true); // each client has its own
    now = 15_000;
    expect(buckets.take('a')).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    now = 20_000;
    expect(buckets.take('a')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('forget clients idle for a window, and never remember more than maxClients', () => {
    let now = 0;
    const buckets = new TokenBuckets({ limit: 2, windowMs: 1000, maxClients: 100, now: () => now });
    for (let client = 0; client < 1000; client++) buckets.take(`client-${client}`);
    expect(buckets.size).toBe(100);
    // The most recent clients are the ones kept: the last one is still spent.
    buckets.take('client-999');
    expect(buckets.take('client-999').allowed).toBe(false);
    now = 999;
    buckets.take('newcomer');
    expect(buckets.size).toBe(100);
    now = 2000;
    buckets.take('newcomer');
    expect(buckets.size).toBe(1);
  });
});

describe('rate limits on the order API', () => {
  let system: TestSystem;
  const startsPerMinute = 5;
  const readsPerMinute = 10;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const operator = bearer(testOperatorToken);
  const post = (headers: Record<string, string>, body: unknown = orderRequest()) =>
    fetch(`${system.apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${system.apiUrl}${path}`, { headers });
  /** A new customer, and the header that authenticates them. */
  const newCustomer = async () => {
    const customerId = `customer-${randomUUID()}`;
    return { customerId, headers: bearer(await customerToken(customerId)) };
  };
  const rateLimitHeaders = (response: Response) =>
    Object.fromEntries(
      ['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy'].map((name) => [
        name,
        response.headers.get(name),
      ]),
    );
  /** Reads as the operator, who is not limited, so that waiting for an order spends no customer's budget. */
  const statusOf = async (orderId: string) =>
    ((await (await get(`/orders/${orderId}`, operator)).json()) as { status: string }).status;

  beforeAll(async () => {
    system = await startTestSystem({
      env: { API_RATE_LIMIT_STARTS: String(startsPerMinute), API_RATE_LIMIT_READS: String(readsPerMinute) },
    });
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  it('refuses a burst of starts over the limit with 429 and Retry-After, starting nothing, while earlier orders complete', async () => {
    const { customerId, headers: customer } = await newCustomer();
    const before = [await placeOrder(system.apiUrl, { customerId }), await placeOrder(system.apiUrl, { customerId })];
    const keys = Array.from({ length: 10 }, () => randomUUID());
    const burst = await Promise.all(
      keys.map((key) => post({ ...customer, 'idempotency-key': key }, orderRequest({ customerId }))),
    );
    const accepted = burst.filter((response) => response.status === 202);
    const refused = burst.filter((response) => response.status === 429);
    expect({ accepted: accepted.length, refused: refused.length }).toEqual({
      accepted: startsPerMinute - before.length,
      refused: keys.length - (startsPerMinute - before.length),
    });
    for (const response of accepted) {
      expect(rateLimitHeaders(response)).toMatchObject({ 'retry-after': null, 'ratelimit-limit': '5' });
    }
    for (const response of refused) {
      const headers = rateLimitHeaders(response);
      expect(headers).toEqual({
        'retry-after': expect.stringMatching(/^\d+$/),
        'ratelimit-limit': '5',
        'ratelimit-remaining': '0',
        'ratelimit-reset': expect.stringMatching(/^\d+$/),
        'ratelimit-policy': '5;w=60',
      });
      // One start comes back every 12 s; the whole budget within a minute.
      expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(headers['retry-after'])).toBeLessThanOrEqual(12);
      expect(Number(headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
      expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
      expect(await response.json()).toMatchObject({
        type: 'urn:temporal-saga:problem:rate-limited',
        status: 429,
        title: 'Too many requests',
      });
    }

    // A refused start started nothing: its key names no saga, and visibility counts only the accepted ones.
    const refusedKeys = keys.filter((_key, index) => burst[index]!.status === 429);
    for (const key of refusedKeys) {
      await expect(
        system.client.workflow.getHandle(orderWorkflowId(idForKey('orders', customerId, key))).describe(),
      ).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
    }
    const ordersQueue = `TaskQueue = '${system.config.taskQueues.orders}'`;
    await eventually(async () =>
      (await system.client.workflow.count(ordersQueue)).count === startsPerMinute ? true : undefined,
    );

    // The sagas live during the burst carry on: the orders placed before it, and those the burst got in, complete.
    const acceptedIds = await Promise.all(
      accepted.map(async (response) => ((await response.json()) as { orderId: string }).orderId),
    );
    const finalStatuses = await Promise.all(
      [...before, ...acceptedIds].map((orderId) =>
        eventually(
          async () => {
            const status = await statusOf(orderId);
            return ['completed', 'cancelled', 'needs_attention'].includes(status) ? status : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 250 },
        ),
      ),
    );
    expect(finalStatuses).toEqual(Array(startsPerMinute).fill('completed'));
  }, 120_000);

  it("limits a customer's reads of an order, its history and the list with one budget, from any token or address", async () => {
    const { customerId, headers: customer } = await newCustomer();
    const orderId = await placeOrder(system.apiUrl, { customerId });
    const paths = [`/orders/${orderId}`, `/orders/${orderId}/history`, '/orders'];
    const spending = [];
    for (let read = 0; read < readsPerMinute; read++) spending.push(await get(paths[read % paths.length]!, customer));
    expect(spending.map((response) => response.status)).toEqual(Array(readsPerMinute).fill(200));
    expect(spending.map((response) => Number(response.headers.get('ratelimit-remaining')))).toEqual(
      Array.from({ length: readsPerMinute }, (_, read) => readsPerMinute - 1 - read),
    );

    // Spent on every read route at once, for the customer: from another address (as a client could forge it
    // without API_TRUST_PROXY) and with a token of theirs signed later, it is still their budget.
    const over = await Promise.all([
      ...paths.map((path) => get(path, customer)),
      get(paths[0]!, { ...customer, 'x-forwarded-for': '203.0.113.7' }),
      get(paths[0]!, bearer(await signToken(testTokenSettings, { subject: customerId, expiresIn: '1h' }))),
    ]);
    expect(over.map((response) => response.status)).toEqual(Array(over.length).fill(429));
    for (const response of over) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Cancelling is neither a start nor a read: it is not limited.
    const cancel = await fetch(`${system.apiUrl}/orders/${orderId}/cancel`, { method: 'POST', headers: customer });
    expect([202, 409]).toContain(cancel.status);
    expect(cancel.headers.get('ratelimit-limit')).toBeNull();
  });

  it('gives two customers calling from one address a budget each', async () => {
    const spent = await newCustomer();
    const other = await newCustomer();
    await eventually(async () => ((await get('/orders', spent.headers)).status === 429 ? true : undefined), {
      intervalMs: 0,
    });
    await eventually(async () => ((await post(spent.headers, {})).status === 429 ? true : undefined), {
      intervalMs: 0,
    });

    const read = await get('/orders', other.headers);
    expect(read.status).toBe(200);
    expect(read.headers.get('ratelimit-remaining')).toBe(String(readsPerMinute - 1));
    const started = await post(other.headers, orderRequest({ customerId: other.customerId }));
    expect(started.status).toBe(202);
    expect(started.headers.get('ratelimit-remaining')).toBe(String(startsPerMinute - 1));
  });

  it("counts requests without a valid token against their address, on the reads' budget, and nobody else's", async () => {
    const guesses = await Promise.all(
      Array.from({ length: readsPerMinute + 2 }, (_, guess) =>
        get(`/orders/${randomUUID()}`, guess % 2 ? bearer(`guess-${guess}`) : {}),
      ),
    );
    const statuses = guesses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(readsPerMinute);
    expect(statuses.filter((status) => status === 429)).toHaveLength(2);
    const refused = guesses.find((response) => response.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // A customer with a valid token, from the same address, has a budget of their own.
    const { headers } = await newCustomer();
    expect((await get('/orders', headers)).status).toBe(200);
  });

  it('does not limit operators, by the operator token or by a token with the operator role', async () => {
    // Spend a customer's budgets from the same address, without starting anything: an invalid body counts too.
    const { headers: customer } = await newCustomer();
    await eventually(async () => ((await post(customer, {})).status === 429 ? true : undefined), { intervalMs: 0 });
    await eventually(async () => ((await get('/orders', customer)).status === 429 ? true : undefined), {
      intervalMs: 0,
    });

    const operatorRole = bearer(await signToken(testTokenSettings, { subject: 'ops-on-call', operator: true }));
    for (const headers of [operator, operatorRole]) {
      const starts = await Promise.all(Array.from({ length: startsPerMinute + 1 }, () => post(headers)));
      const reads = await Promise.all(Array.from({ length: readsPerMinute + 1 }, () => get('/orders', headers)));
      expect(starts.map((response) => [response.status, response.headers.get('ratelimit-limit')])).toEqual(
        Array(startsPerMinute + 1).fill([202, null]),
      );
      expect(reads.map((response) => [response.status, response.headers.get('ratelimit-limit')])).toEqual(
        Array(readsPerMinute + 1).fill([200, null]),
      );
    }
  });

  it('lists the 429 in the OpenAPI document on every route (without a valid token, any route counts)', async () => {
    const document = (await (await get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
    };
    const limited = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => '429' in operation.responses)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(limited.sort()).toEqual([
      'GET /orders',
      'GET /orders/{id}',
      'GET /orders/{id}/history',
      'POST /orders',
      'POST /orders/compensations/resolve',
      'POST /orders/{id}/cancel',
      'POST /orders/{id}/compensations/resolve',
    ]);
    expect(Object.keys(document.paths['/orders']!.post!.responses['429']!.headers ?? {})).toEqual(
      expect.arrayContaining(['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']),
    );
  });
});
