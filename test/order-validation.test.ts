import { randomUUID } from 'node:crypto';
import { orderRequest } from './fixtures/orders';
import { ordersStartedSince } from './orders';
import type { JsonResponse } from './http';
import { postJson, request } from './http';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken } from './tokens';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  issues?: { path: string; code: string; message: string }[];
}

function expectProblem(response: JsonResponse, status: number, type: string): Problem {
  expect(response.status).toBe(status);
  expect(response.contentType).toMatch(/^application\/problem\+json/);
  const problem = response.body as Problem;
  expect(problem).toMatchObject({ type: `urn:temporal-saga:problem:${type}`, status });
  expect(JSON.stringify(problem)).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return problem;
}

/** The customer a body names, when it names one as a string; else someone new. */
function customerOf(body: unknown): string {
  const customerId = (body as { customerId?: unknown } | null)?.customerId;
  return typeof customerId === 'string' ? customerId : `customer-${randomUUID()}`;
}

describe('order input validation', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  // Each test, on its own, started no workflow with its invalid requests.
  let testStartedAt: Date;
  beforeEach(() => {
    testStartedAt = new Date();
  });
  afterEach(async () => {
    expect(await ordersStartedSince(system, testStartedAt)).toEqual([]);
  });

  /**
   * POSTs `body` to /orders as the customer it names, so that nothing but the body is wrong (validation runs before
   * authorization anyway: a 400 comes before any 403).
   */
  const postOrder = async (body: unknown, customerId = customerOf(body)) =>
    postJson(`${system.apiUrl}/orders`, body, await customerToken(customerId));

  it('lists every missing field of an empty body', async () => {
    const problem = expectProblem(await postOrder({}), 400, 'validation-error');
    expect(problem.issues?.map((issue) => issue.path).sort()).toEqual(
      ['customerId', 'items', 'paymentToken', 'shippingAddress'].sort(),
    );
  });

  it('names each field with a wrong type, down to nested paths', async () => {
    const body = {
      ...orderRequest(),
      customerId: 42,
      items: [{ sku: 'SKU-1', quantity: 'two' }],
      shippingAddress: { ...orderRequest().shippingAddress, country: 'Germany' },
    };
    const problem = expectProblem(await postOrder(body), 400, 'validation-error');
    expect(problem.issues?.map((issue) => issue.path).sort()).toEqual(
      ['customerId', 'items.0.quantity', 'shippingAddress.country'].sort(),
    );
    for (const issue of problem.issues ?? []) expect(issue.message).not.toBe('');
  });

  it('refuses an item that sets its own price, or any other field, and names it', async () => {
    const priced = { ...orderRequest(), items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1 }] };
    const problem = expectProblem(await postOrder(priced), 400, 'validation-error');
    expect(problem.issues).toEqual([
      {
        path: 'items.0',
        code: 'unrecognized_keys',
        message:
          'Unrecognized key(s): "unitPriceCents". The inventory prices every item: send its sku and quantity only.',
      },
    ]);

    const extra = {
      ...orderRequest(),
      items: [
        { sku: 'SKU-1', quantity: 2 },
        { sku: 'SKU-2', quantity: 1, gift: true },
      ],
    };
    const unknown = expectProblem(await postOrder(extra), 400, 'validation-error');
    expect(unknown.issues).toEqual([
      { path: 'items.1', code: 'unrecognized_keys', message: expect.stringContaining('"gift"') },
    ]);
  });

  it('refuses an address field of whitespace only and a country code no country has', async () => {
    const body = orderRequest();
    const blank = { ...body, shippingAddress: { ...body.shippingAddress, city: ' \t ', country: 'ZZ' } };
    const problem = expectProblem(await postOrder(blank), 400, 'validation-error');
    expect(problem.issues?.map((issue) => [issue.path, issue.code])).toEqual([
      ['shippingAddress.city', 'too_small'],
      ['shippingAddress.country', 'invalid_value'],
    ]);
  });

  it('refuses an order with no items and one with an unknown field', async () => {
    const empty = expectProblem(await postOrder(orderRequest({ items: [] })), 400, 'validation-error');
    expect(empty.issues).toEqual([expect.objectContaining({ path: 'items', code: 'too_small' })]);

    const unknown = expectProblem(await postOrder({ ...orderRequest(), discount: 100 }), 400, 'validation-error');
    expect(unknown.issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys' })]);
  });

  it('answers malformed JSON with 400 and no parser internals', async () => {
    const problem = expectProblem(await postOrder('{"customerId": "c-1", "items": [}', 'c-1'), 400, 'malformed-json');
    expect(problem.detail).not.toMatch(/node_modules/);
  });

  it('answers 415 to a body that is not JSON, and 413 to one over the size limit', async () => {
    const form = await request(`${system.apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'customerId=c-1',
      token: await customerToken('c-1'),
    });
    expectProblem(form, 415, 'unsupported-media-type');
    const huge = { ...orderRequest(), note: 'x'.repeat(100_000) };
    expectProblem(await postOrder(huge), 413, 'payload-too-large');
  });
});
