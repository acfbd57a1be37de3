import { randomUUID } from 'node:crypto';
import { orderWorkflowId } from '../api/orders/trigger';
import { OrderTotalKey } from '../workflows/search-attributes';
import { orderRequest } from './fixtures/orders';
import type { JsonResponse } from './http';
import { eventually, postJson, request } from './http';
import { orderReaches } from './orders';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { customerToken, testOperatorToken } from './tokens';

describe('placing an order over HTTP', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('answers 202 at once, and the saga completes through every service, each on its own task queue', async () => {
    const body = orderRequest();
    const requestId = `req-${randomUUID()}`;
    const response = await fetch(`${system.apiUrl}/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': requestId,
        authorization: `Bearer ${await customerToken(body.customerId)}`,
      },
      body: JSON.stringify(body),
    });
    const accepted = {
      status: response.status,
      location: response.headers.get('location'),
      body: await response.json(),
    };

    expect(accepted.status).toBe(202);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    const { orderId } = accepted.body as { orderId: string };
    expect(orderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(accepted.location).toBe(`/orders/${orderId}`);
    expect(accepted.body).toMatchObject({ orderId, status: 'accepted', links: { self: `/orders/${orderId}` } });

    const completed = await orderReaches(system.apiUrl, orderId, ['completed']);
    expect(completed).toMatchObject({ orderId, status: 'completed', saga: { status: 'completed', pivotPassed: true } });
    expect(completed.saga.steps.map((step) => [step.name, step.status])).toEqual([
      ['reserveStock', 'succeeded'],
      ['createOrder', 'succeeded'],
      ['screenPayment', 'succeeded'],
      ['chargePayment', 'succeeded'],
      ['requestShipment', 'succeeded'],
      ['confirmOrder', 'succeeded'],
      ['commitStock', 'succeeded'],
      ['notifyCustomer', 'succeeded'],
    ]);

    const handle = system.client.workflow.getHandle(orderWorkflowId(orderId));
    const description = await handle.describe();
    expect(description.memo).toMatchObject({ requestId }); // a log line leads to the saga, and back
    expect(await description.staticSummary()).toBe(`Order ${orderId}: 3 item(s), customer ${body.customerId}`);
    expect(await description.staticDetails()).toMatch(/^SKU-1 +2$/m);
    // The client sent no price: the inventory's catalog priced the order, and the saga published its total.
    expect(description.typedSearchAttributes.get(OrderTotalKey)).toBe(7499);

    const history = await handle.fetchHistory();
    const scheduledOn = (history.events ?? []).flatMap((event) => {
      const scheduled = event.activityTaskScheduledEventAttributes;
      return scheduled ? [`${scheduled.activityType?.name} @ ${scheduled.taskQueue?.name}`] : [];
    });
    const queues = system.config.taskQueues;
    expect(scheduledOn.sort()).toEqual(
      [
        `createOrder @ ${queues.orders}`,
        `reserveStock @ ${queues.inventory}`,
        `screenPayment @ ${queues.payments}`,
        `chargePayment @ ${queues.payments}`,
        `requestShipment @ ${queues.shipping}`,
        `confirmOrder @ ${queues.orders}`,
        `commitStock @ ${queues.inventory}`,
        `notifyCustomer @ ${queues.orders}`,
      ].sort(),
    );
    // Started by the API at the current start version: every OrderPatch in effect without asking patched(), so no
    // marker, and no TemporalChangeVersion written to the server's visibility.
    const events = history.events ?? [];
    expect(events.filter((event) => event.markerRecordedEventAttributes)).toEqual([]);
    const upserted = events.flatMap((event) =>
      Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
    expect(upserted).toContain('OrderTotal');
    expect(upserted).not.toContain('TemporalChangeVersion');
    // The test system's own queues (<SERVICE>_TASK_QUEUE), four distinct ones: the saga runs where configured.
    expect(new Set(Object.values(queues)).size).toBe(4);
    expect(description.taskQueue).toBe(queues.orders);

    // Each service's own database holds its part of the order.
    const { orders, inventory, payments, shipping } = system.databases;
    const order = await orders
      .selectFrom('orders')
      .selectAll()
      .where('order_id', '=', orderId)
      .executeTakeFirstOrThrow();
    expect(order).toMatchObject({ status: 'confirmed', total_cents: 7499, customer_id: body.customerId });
    expect(JSON.parse(order.items)).toEqual([
      { sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 },
      { sku: 'SKU-2', quantity: 1, unitPriceCents: 4999 },
    ]);
    const shipment = await shipping.selectFrom('shipments').selectAll().where('order_id', '=', orderId).execute();
    expect(shipment).toEqual([expect.objectContaining({ status: 'dispatched', shipment_id: order.shipment_id })]);
    const charges = await payments.selectFrom('charges').selectAll().where('order_id', '=', orderId).execute();
    expect(charges).toEqual([expect.objectContaining({ amount_cents: 7499, status: 'captured' })]);
    const reservations = await inventory
      .selectFrom('reservations')
      .selectAll()
      .where('order_id', '=', orderId)
      .execute();
    expect(reservations).toEqual([expect.objectContaining({ status: 'shipped' })]);
    const reserved = await inventory
      .selectFrom('reservation_items')
      .select(['sku', 'quantity', 'unit_price_cents'])
      .where('reservation_id', '=', reservations[0]!.reservation_id)
      .orderBy('sku')
      .execute();
    expect(reserved).toEqual([
      { sku: 'SKU-1', quantity: 2, unit_price_cents: 1250 },
      { sku: 'SKU-2', quantity: 1, unit_price_cents: 4999 },
    ]);
    const notifications = await orders
      .selectFrom('notifications')
      .selectAll()
      .where('order_id', '=', orderId)
      .execute();
    expect(notifications).toEqual([
      expect.objectContaining({ message: expect.stringContaining(`Your order ${orderId} is on its way`) }),
    ]);
  });

  it('makes the order findable by customer through visibility', async () => {
    const body = orderRequest();
    const accepted = await postJson(`${system.apiUrl}/orders`, body, await customerToken(body.customerId));
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
    const response: JsonResponse = await request(`${system.apiUrl}/orders/${randomUUID()}`, {
      token: testOperatorToken,
    });
    expect(response.status).toBe(404);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:temporal-saga:problem:not-found', status: 404 });
  });
});
