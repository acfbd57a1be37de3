import { randomUUID } from 'node:crypto';
import { orderWorkflowId } from '../api/orders/routes';
import { TaskQueue } from '../workflows/task-queues';
import { orderRequest } from './fixtures/orders';
import type { JsonResponse } from './http';
import { eventually, postJson, request } from './http';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

describe('placing an order over HTTP', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('answers 202 at once and the saga reaches completed through inventory, payments and shipping', async () => {
    const body = orderRequest();
    const accepted = await postJson(`${system.apiUrl}/orders`, body);

    expect(accepted.status).toBe(202);
    const { orderId } = accepted.body as { orderId: string };
    expect(orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(accepted.location).toBe(`/orders/${orderId}`);
    expect(accepted.body).toMatchObject({ orderId, status: 'accepted', links: { self: `/orders/${orderId}` } });

    const completed = await eventually(async () => {
      const state = await request(`${system.apiUrl}${accepted.location}`);
      return (state.body as { status?: string }).status === 'completed' ? state : undefined;
    });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({
      orderId,
      sagaId: orderWorkflowId(orderId),
      status: 'completed',
      steps: [
        { name: 'reserveStock', status: 'succeeded' },
        { name: 'chargePayment', status: 'succeeded' },
        { name: 'requestShipment', status: 'succeeded' },
      ],
    });

    const handle = system.client.workflow.getHandle(orderWorkflowId(orderId));
    const description = await handle.describe();
    expect(await description.staticSummary()).toBe(`Order ${orderId}: 3 item(s), 74.99, customer ${body.customerId}`);
    expect(await description.staticDetails()).toContain('| SKU-1 | 2 | 12.50 | 25.00 |');

    const result = (await handle.result()) as { charge: { amountCents: number } };
    expect(result.charge.amountCents).toBe(2 * 1250 + 4999);

    const history = await handle.fetchHistory();
    const scheduledOn = (history.events ?? []).flatMap((event) => {
      const scheduled = event.activityTaskScheduledEventAttributes;
      return scheduled ? [[scheduled.activityType?.name, scheduled.taskQueue?.name]] : [];
    });
    expect(scheduledOn).toEqual([
      ['reserveStock', TaskQueue.Inventory],
      ['chargePayment', TaskQueue.Payments],
      ['requestShipment', TaskQueue.Shipping],
    ]);
  });

  it('makes the order findable by customer through visibility', async () => {
    const body = orderRequest();
    const accepted = await postJson(`${system.apiUrl}/orders`, body);
    expect(accepted.status).toBe(202);

    const found = await eventually(async () => {
      const ids: string[] = [];
      for await (const execution of system.client.workflow.list({ query: `CustomerId = '${body.customerId}'` })) {
        ids.push(execution.workflowId);
      }
      return ids.length > 0 ? ids : undefined;
    });
    expect(found).toEqual([orderWorkflowId((accepted.body as { orderId: string }).orderId)]);
  });

  it('answers 404 problem+json for an order that does not exist', async () => {
    const response: JsonResponse = await request(`${system.apiUrl}/orders/${randomUUID()}`);
    expect(response.status).toBe(404);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:temporal-saga:problem:not-found', status: 404 });
  });
});
