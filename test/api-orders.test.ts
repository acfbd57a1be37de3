/**
 * The order API's surface beyond placing an order: idempotent starts, waiting for the payment, cancellation,
 * listing, the history timeline, and the OpenAPI document. Customers act on their own orders with their own
 * tokens; the operator reads the raw history.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Router } from 'express';
import { createHealthRoutes } from '../api/health';
import { operatorCaller } from '../api/authentication';
import { orderStatusOfPublished, orderStatusQuery } from '../api/orders/status';
import { orderTrigger, orderWorkflowId } from '../api/orders/trigger';
import { createSagaRouter } from '../api/saga/trigger';
import { OrderStep } from '../workflows/order';
import { SagaStatus } from '../workflows/saga';
import { orderRequest } from './fixtures/orders';
import type { JsonResponse } from './http';
import { eventually, postJson, request } from './http';
import { orderReaches, placeOrder } from './orders';
import type { TestSystem } from './system';
import { orderRows, startTestSystem } from './system';
import { customerToken, testOperatorToken } from './tokens';

interface Problem {
  type: string;
  status: number;
  detail: string;
  failure?: { type: string };
}

async function countWorkflows(system: TestSystem, query: string): Promise<number> {
  return (await system.client.workflow.count(query)).count;
}

/** A new customer, and their token. */
async function newCustomer(): Promise<{ customerId: string; token: string }> {
  const customerId = `customer-${randomUUID()}`;
  return { customerId, token: await customerToken(customerId) };
}

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): Set<string> {
  const keys = new Set<string>();
  const visit = (inner: unknown) => {
    if (Array.isArray(inner)) inner.forEach(visit);
    else if (typeof inner === 'object' && inner !== null) {
      for (const [key, nested] of Object.entries(inner)) {
        keys.add(key);
        visit(nested);
      }
    }
  };
  visit(value);
  return keys;
}

/**
 * Validates an OpenAPI document with @seriousme/openapi-schema-validator (the official 3.1 JSON schemas, through
 * ajv). It is an ES module, which jest's CommonJS runtime cannot load, so it runs in a node process of its own.
 */
function validateOpenApi(document: unknown): { valid: boolean; version?: string; errors?: unknown } {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    const document = JSON.parse(await new Promise((resolve) => {
      let text = '';
      process.stdin.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
    }));
    const validator = new Validator();
    const result = await validator.validate(document);
    console.log(JSON.stringify({ valid: result.valid, version: validator.version, ...(result.valid ? {} : { errors: result.errors }) }));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: path.resolve(__dirname, '..'),
    input: JSON.stringify(document),
    encoding: 'utf8',
  });
  return JSON.parse(output) as { valid: boolean; version?: string; errors?: unknown };
}

/** The routes of an express router, as `METHOD /prefix/path/{param}`. */
function routesOf(router: Router, prefix: string): string[] {
  const layers = router.stack as { route?: { path: string; methods: Record<string, boolean> } }[];
  return layers.flatMap(({ route }) =>
    route
      ? // `_all`: the answer of the methods a path lacks (405), not a route.
        Object.keys(route.methods)
          .filter((method) => method !== '_all')
          .map(
            (method) =>
              `${method.toUpperCase()} ${`${prefix}${route.path === '/' ? '' : route.path}`.replace(/:(\w+)/g, '{$1}')}`,
          )
      : [],
  );
}

describe('the order API', () => {
  describe('with every service running', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem();
    });
    afterAll(async () => {
      await system?.stop();
    });

    it('starts one saga for ten concurrent requests with one Idempotency-Key, and all get the same order', async () => {
      const key = `checkout-${randomUUID()}`;
      const { customerId, token } = await newCustomer();
      const body = orderRequest({ customerId });
      const post = (sent: unknown, as: string) =>
        request(`${system.apiUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(sent),
          token: as,
        });
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(body, token)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(202));
      const orderIds = new Set(answers.map((answer) => (answer.body as { orderId: string }).orderId));
      expect(orderIds.size).toBe(1);
      const [orderId] = [...orderIds] as [string];

      await orderReaches(system.apiUrl, orderId, ['completed']);
      const workflows = await eventually(async () => {
        const count = await countWorkflows(system, `WorkflowId = '${orderWorkflowId(orderId)}'`);
        return count > 0 ? count : undefined;
      });
      expect(workflows).toBe(1);
      const charges = await system.databases.payments
        .selectFrom('charges')
        .selectAll()
        .where('order_id', '=', orderId)
        .execute();
      expect(charges).toHaveLength(1);

      // The same key with another body is a client bug, not a repeat.
      const reused = await post(orderRequest({ customerId, items: [{ sku: 'SKU-1', quantity: 1 }] }), token);
      expect(reused.status).toBe(422);
      expect((reused.body as Problem).type).toBe('urn:temporal-saga:problem:idempotency-key-reused');

      // Keys are each caller's own: another customer's same key starts another order, their own.
      const other = await newCustomer();
      const theirs = await post(orderRequest({ customerId: other.customerId }), other.token);
      expect(theirs.status).toBe(202);
      const theirOrderId = (theirs.body as { orderId: string }).orderId;
      expect(theirOrderId).not.toBe(orderId);
      await orderReaches(system.apiUrl, theirOrderId, ['completed']);
    });

    it('keeps an Idempotency-Key from starting a no-op order once its saga history is gone', async () => {
      const key = `checkout-${randomUUID()}`;
      const { customerId, token } = await newCustomer();
      const body = orderRequest({ customerId });
      const post = () =>
        request(`${system.apiUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
          token,
        });
      const { orderId } = (await post()).body as { orderId: string };
      await orderReaches(system.apiUrl, orderId, ['completed']);
      const rowsBefore = await orderRows(system, orderId);

      // What retention does to a closed saga, and `temporal workflow delete` on demand; the dev server takes some
      // 30 s to carry it out.
      const workflowId = orderWorkflowId(orderId);
      await system.client.workflowService.deleteWorkflowExecution({
        namespace: system.client.options.namespace,
        workflowExecution: { workflowId },
      });
      await eventually(
        async () => {
          const gone = await system.client.workflow
            .getHandle(workflowId)
            .describe()
            .then(
              () => false,
              (error: unknown) => (error as Error).name === 'WorkflowNotFoundError',
            );
          return gone || undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );

      // The same key again: the answer names the same order, and the saga it starts refuses at its first step.
      const again = await post();
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ orderId });
      const ended = await orderReaches(system.apiUrl, orderId, ['cancelled']);
      expect(ended.saga.failure).toMatchObject({ type: 'IdempotencyConflict' });
      expect(ended.saga.steps.filter((step) => step.status === 'succeeded')).toEqual([]);
      expect(await orderRows(system, orderId)).toEqual(rowsBefore);
    }, 150_000);

    it('cancels an order before its pivot: 202, and the order ends cancelled with its charge refunded', async () => {
      // tok_slow: the charge is written, then the payment service takes 5 s to answer, before the pivot.
      const { customerId, token } = await newCustomer();
      const orderId = await placeOrder(system.apiUrl, { customerId, paymentToken: 'tok_slow' });
      await eventually(async () => {
        const charge = await system.databases.payments
          .selectFrom('charges')
          .select('charge_id')
          .where('order_id', '=', orderId)
          .executeTakeFirst();
        return charge;
      });
      const cancel = await postJson(`${system.apiUrl}/orders/${orderId}/cancel`, { reason: 'changed my mind' }, token);
      expect(cancel.status).toBe(202);
      expect(cancel.body).toMatchObject({ orderId, status: 'cancelling' });

      const cancelled = await orderReaches(system.apiUrl, orderId, ['cancelled']);
      expect(cancelled.saga.failure).toMatchObject({ type: 'SagaCancelled', message: 'changed my mind' });
      const refunds = await system.databases.payments.selectFrom('refunds').selectAll().execute();
      const charge = await system.databases.payments
        .selectFrom('charges')
        .selectAll()
        .where('order_id', '=', orderId)
        .executeTakeFirstOrThrow();
      expect(charge.status).toBe('refunded');
      expect(refunds.filter((refund) => refund.charge_id === charge.charge_id)).toHaveLength(1);
    });

    it('refuses to cancel an order that has ended, with the reason; an order that does not exist is a 404', async () => {
      const { customerId, token } = await newCustomer();
      const orderId = await placeOrder(system.apiUrl, { customerId });
      await orderReaches(system.apiUrl, orderId, ['completed']);
      const cancel = await postJson(`${system.apiUrl}/orders/${orderId}/cancel`, {}, token);
      expect(cancel.status).toBe(409);
      expect(cancel.contentType).toMatch(/^application\/problem\+json/);
      expect(cancel.body).toMatchObject({
        type: 'urn:temporal-saga:problem:cancel-rejected',
        detail: 'The saga is completed: there is nothing left to cancel.',
      });
      const missing = await request(`${system.apiUrl}/orders/${randomUUID()}/cancel`, { method: 'POST', token });
      expect(missing.status).toBe(404);
    });

    it("lists a customer's orders by status across pages, for the customer", async () => {
      const { customerId, token } = await newCustomer();
      const completed = await Promise.all([1, 2, 3].map(() => placeOrder(system.apiUrl, { customerId })));
      const declined = await placeOrder(system.apiUrl, { customerId, paymentToken: 'tok_declined' });
      for (const orderId of completed) await orderReaches(system.apiUrl, orderId, ['completed']);
      await orderReaches(system.apiUrl, declined, ['cancelled']);

      const list = (query: string) => request(`${system.apiUrl}/orders?${query}`, { token });
      // Visibility lags the sagas: page only once it shows all three as completed.
      await eventually(async () => {
        const body = (await list(`customerId=${customerId}&status=completed&pageSize=50`)).body as {
          items?: unknown[];
        };
        return body.items?.length === completed.length ? true : undefined;
      });
      const firstPage = await eventually(async () => {
        const page = await list(`customerId=${customerId}&status=completed&pageSize=2`);
        if (page.status !== 200) throw new Error(`GET /orders answered ${page.status}: ${JSON.stringify(page.body)}`);
        const body = page.body as { items: { orderId: string }[]; nextCursor?: string };
        return body.items.length === 2 && body.nextCursor ? body : undefined;
      });
      const secondPage = (
        await list(`customerId=${customerId}&status=completed&pageSize=2&cursor=${firstPage.nextCursor}`)
      ).body as { items: { orderId: string }[]; nextCursor?: string };
      expect(secondPage.items).toHaveLength(1);
      expect(secondPage.nextCursor).toBeUndefined();
      expect([...firstPage.items, ...secondPage.items].map((item) => item.orderId).sort()).toEqual(
        [...completed].sort(),
      );

      const cancelled = (await eventually(async () => {
        const body = (await list(`customerId=${customerId}&status=cancelled`)).body as { items: { orderId: string }[] };
        return body.items.length ? body : undefined;
      })) as { items: { orderId: string; searchAttributes: Record<string, unknown> }[] };
      expect(cancelled.items.map((item) => item.orderId)).toEqual([declined]);
      expect(cancelled.items[0]?.searchAttributes).toMatchObject({ CustomerId: customerId, SagaStatus: 'compensated' });

      const invalid: JsonResponse = await list('status=lost&pageSize=1000');
      expect(invalid.status).toBe(400);
      expect((invalid.body as { issues: { path: string }[] }).issues.map((issue) => issue.path).sort()).toEqual([
        'pageSize',
        'status',
      ]);
    });

    it('refuses with 400 a cursor it did not hand out for the same filters, and pages with its own', async () => {
      const { customerId, token } = await newCustomer();
      const list = (query: string, as = token) => request(`${system.apiUrl}/orders?${query}`, { token: as });
      const cursorRefused = {
        status: 400,
        body: expect.objectContaining({
          type: 'urn:temporal-saga:problem:validation-error',
          issues: [
            {
              path: 'cursor',
              code: 'invalid_cursor',
              message: 'expected the nextCursor of a previous page with the same filters',
            },
          ],
        }) as unknown,
      };
      // What a client tried, with Temporal up: it was a 503 once the SDK's retries of Temporal's UNKNOWN had used
      // the API's deadline.
      const tried = await list(
        'customerId=dg010WPkEA2jI3dKfJFBbR&pageSize=82&cursor=yny6e&status=dispatched',
        testOperatorToken,
      );
      expect(tried).toMatchObject(cursorRefused);

      const orderIds = await Promise.all([1, 2].map(() => placeOrder(system.apiUrl, { customerId })));
      for (const orderId of orderIds) await orderReaches(system.apiUrl, orderId, ['completed']);
      const filters = `customerId=${customerId}&status=completed`;
      await eventually(async () => {
        const body = (await list(`${filters}&pageSize=50`)).body as { items?: unknown[] };
        return body.items?.length === orderIds.length ? true : undefined;
      });
      const firstPage = (await list(`${filters}&pageSize=1`)).body as {
        items: { orderId: string }[];
        nextCursor: string;
      };
      const cursor = firstPage.nextCursor;
      expect(cursor).toMatch(/^[\w-]+$/);

      const temporalToken = (runId: unknown) =>
        Buffer.from(
          JSON.stringify({ CloseTime: '9999-12-31T23:59:59Z', StartTime: new Date().toISOString(), RunID: runId }),
        ).toString('base64url');
      const otherCustomer = `customer-${randomUUID()}`;
      const forged = {
        'made up': `${filters}&cursor=AAAAAAAAAAAAAAAAAAAAAAAA`,
        "Temporal's own page token, as cursors were before": `${filters}&cursor=${temporalToken(randomUUID())}`,
        'a page token Temporal cannot parse': `${filters}&cursor=${temporalToken(5)}`,
        'cut short': `${filters}&cursor=${cursor.slice(0, -3)}`,
        'one character changed': `${filters}&cursor=${cursor.slice(0, 5)}${cursor[5] === 'A' ? 'B' : 'A'}${cursor.slice(6)}`,
        'with another status': `customerId=${customerId}&status=cancelled&cursor=${cursor}`,
        "with another customer's id": `customerId=${otherCustomer}&status=completed&cursor=${cursor}`,
        'without the filters': `cursor=${cursor}`,
      };
      const answers = await Promise.all(
        Object.entries(forged).map(async ([forgery, query]) => [forgery, await list(query)] as const),
      );
      expect(Object.fromEntries(answers)).toEqual(
        Object.fromEntries(Object.keys(forged).map((forgery) => [forgery, expect.objectContaining(cursorRefused)])),
      );
      // A cursor pages the list of the caller it was given to: the operator's list, with the same filters, is another.
      expect(await list(`${filters}&cursor=${cursor}`, testOperatorToken)).toMatchObject(cursorRefused);

      // The cursor it gave pages on, whatever the page size.
      const secondPage = (await list(`${filters}&pageSize=5&cursor=${cursor}`)).body as {
        items: { orderId: string }[];
        nextCursor?: string;
      };
      expect(secondPage.nextCursor).toBeUndefined();
      expect([...firstPage.items, ...secondPage.items].map((item) => item.orderId).sort()).toEqual(orderIds.sort());
    });

    it("reads a declined order's history as a timeline of its steps and compensations, in order", async () => {
      const { customerId, token } = await newCustomer();
      const orderId = await placeOrder(system.apiUrl, { customerId, paymentToken: 'tok_declined' });
      await orderReaches(system.apiUrl, orderId, ['cancelled']);
      const history = await request(`${system.apiUrl}/orders/${orderId}/history`, { token });
      expect(history.status).toBe(200);
      // The customer sees the timeline; the raw events are the operator's.
      expect(Object.keys(history.body as object).sort()).toEqual(['links', 'orderId', 'timeline']);
      const { timeline } = history.body as {
        timeline: {
          type: string;
          kind?: string;
          step?: string;
          event?: string;
          status?: string;
          outcome?: string;
          failure?: { type: string };
        }[];
      };
      const steps = timeline
        .filter((entry) => entry.type === 'step' && entry.event !== 'started')
        .map((entry) => `${entry.kind} ${entry.step} ${entry.event}`);
      expect(steps).toEqual([
        'action reserveStock scheduled',
        'action reserveStock completed',
        'action createOrder scheduled',
        'action createOrder completed',
        'action screenPayment scheduled',
        'action screenPayment completed',
        'action chargePayment scheduled',
        'action chargePayment failed',
        'compensation createOrder scheduled',
        'compensation createOrder completed',
        'compensation reserveStock scheduled',
        'compensation reserveStock completed',
      ]);
      expect(timeline.filter((entry) => entry.type === 'status').map((entry) => entry.status)).toEqual([
        'running',
        'compensating',
        'compensated',
      ]);
      expect(timeline.at(-1)).toMatchObject({
        type: 'saga-closed',
        outcome: 'failed',
        failure: { type: 'PaymentDeclined' },
      });

      const operatorHistory = await request(`${system.apiUrl}/orders/${orderId}/history`, { token: testOperatorToken });
      expect(operatorHistory.status).toBe(200);
      const { timeline: operatorTimeline, events } = operatorHistory.body as {
        timeline: unknown[];
        events: { eventType: string }[];
      };
      expect(operatorTimeline).toEqual(timeline);
      expect(events[0]?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
      expect(events.length).toBeGreaterThan(timeline.length);
      // Without diagnostics, the events say nothing of how the workers are built or where they run.
      const diagnosticFields = ['stackTrace', 'identity'];
      expect([...keysOf(events)].filter((key) => diagnosticFields.includes(key))).toEqual([]);
      const diagnostics = await request(`${system.apiUrl}/orders/${orderId}/history?diagnostics=true`, {
        token: testOperatorToken,
      });
      expect(diagnostics.status).toBe(200);
      const diagnosed = (diagnostics.body as { events: unknown[] }).events;
      expect(diagnosed).toHaveLength(events.length);
      expect([...keysOf(diagnosed)]).toEqual(expect.arrayContaining(diagnosticFields));
    });

    it('publishes an OpenAPI 3.1 document that validates and covers every route', async () => {
      const response = await request(`${system.apiUrl}/openapi.json`);
      expect(response.status).toBe(200);
      const document = response.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(document.openapi).toBe('3.1.0');
      expect(validateOpenApi(document)).toEqual({ valid: true, version: '3.1' });

      const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      );
      const routeDeps = {
        client: system.client,
        authenticate: () => Promise.resolve(operatorCaller),
        waitTimeoutMs: 1,
        temporalTimeoutMs: 1,
      };
      const served = [
        ...routesOf(createHealthRoutes(system.client, 1), ''),
        ...routesOf(createSagaRouter(orderTrigger(), routeDeps), '/orders'),
      ];
      expect(documented.sort()).toEqual(served.sort());
    });
  });

  describe('with shipping down', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ only: ['orders', 'inventory', 'payments'], app: { waitTimeoutMs: 15_000 } });
    });
    afterAll(async () => {
      await system?.stop();
    });

    it('waits for the payment, not for shipping: 201 with the charged order', async () => {
      const body = orderRequest();
      const response = await postJson(
        `${system.apiUrl}/orders?wait=charged`,
        body,
        await customerToken(body.customerId),
      );
      expect(response.status).toBe(201);
      const order = response.body as {
        orderId: string;
        status: string;
        saga: { steps: { name: string; status: string }[] };
      };
      expect(response.location).toBe(`/orders/${order.orderId}`);
      expect(order.saga.steps.find((step) => step.name === 'chargePayment')?.status).toBe('succeeded');
      expect(['processing', 'awaiting_shipment']).toContain(order.status);
      await orderReaches(system.apiUrl, order.orderId, ['awaiting_shipment']);
    });

    it('answers a declined payment with 402 problem+json, and the order is cancelled', async () => {
      const body = orderRequest({ paymentToken: 'tok_declined' });
      const response = await postJson(
        `${system.apiUrl}/orders?wait=charged`,
        body,
        await customerToken(body.customerId),
      );
      expect(response.status).toBe(402);
      expect(response.contentType).toMatch(/^application\/problem\+json/);
      const problem = response.body as Problem & { orderId: string };
      expect(problem).toMatchObject({
        type: 'urn:temporal-saga:problem:saga-failed',
        failure: { type: 'PaymentDeclined' },
      });
      await orderReaches(system.apiUrl, problem.orderId, ['cancelled', 'cancelling']);
    });

    it('refuses to cancel an order whose shipment (the pivot) is under way', async () => {
      const { customerId, token } = await newCustomer();
      const orderId = await placeOrder(system.apiUrl, { customerId });
      await orderReaches(system.apiUrl, orderId, ['awaiting_shipment']);
      const cancel = await postJson(`${system.apiUrl}/orders/${orderId}/cancel`, {}, token);
      expect(cancel.status).toBe(409);
      expect((cancel.body as Problem).detail).toBe(
        "The pivot step 'requestShipment' is running: the saga may no longer be undone.",
      );
    });
  });

  describe('read from what its saga published, when no worker answers', () => {
    const published = (status: SagaStatus, currentStep?: string) =>
      orderStatusOfPublished({ sagaId: 'order-1', status, currentStep, startedAt: new Date(0).toISOString() });

    it('has the status the list filter finds it under: the same step and status mapping', () => {
      const byStep = Object.values(OrderStep).map((step) => [step, published(SagaStatus.Running, step)] as const);
      expect(Object.fromEntries(byStep)).toEqual({
        createOrder: 'processing',
        reserveStock: 'processing',
        screenPayment: 'processing',
        chargePayment: 'processing',
        requestShipment: 'awaiting_shipment',
        confirmOrder: 'dispatched',
        commitStock: 'dispatched',
        notifyCustomer: 'dispatched',
      });
      for (const [step, status] of byStep) expect(orderStatusQuery[status]).toContain(`'${step}'`);
      expect(published(SagaStatus.Running)).toBe('processing');
      expect(orderStatusQuery.processing).toContain('SagaStep IS NULL');

      const settled = Object.values(SagaStatus)
        .filter((status) => status !== SagaStatus.Running)
        .map((status) => [status, published(status, OrderStep.RequestShipment)] as const);
      expect(Object.fromEntries(settled)).toEqual({
        compensating: 'cancelling',
        needs_attention: 'needs_attention',
        completed: 'completed',
        compensated: 'cancelled',
        failed: 'cancelled',
      });
      for (const [sagaStatus, status] of settled) expect(orderStatusQuery[status]).toContain(`'${sagaStatus}'`);
    });
  });
});
