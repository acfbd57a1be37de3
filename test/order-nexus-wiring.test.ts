/**
 * The order saga in the Nexus wiring: inventory, payments and shipping each in a namespace of its own, reached
 * through their endpoints (SERVICE_WIRING=nexus), the saga and the orders service in the run's namespace. The
 * failure paths run in both wirings in order-paths.test.ts; here, what the wiring itself changes: where each call
 * goes and runs, a cancellation on either side of the pivot, and a service down then back.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { orderWorkflowId } from '../api/orders/trigger';
import type { PlaceOrderInput } from '../workflows/order';
import { shipmentWorkflowId } from '../activities/shipping/waiting-orders';
import type { PayloadKey } from '../codec/payload-keys';
import { formatPayloadKey, generatePayloadKey } from '../codec/payload-keys';
import { keyIdMetadataKey } from '../codec/encryption-codec';
import { decodeJson, historyOf } from './history';
import { eventually, postJson } from './http';
import { orderReaches, placeOrder, readOrder } from './orders';
import type { Launched } from './processes';
import { startServiceProcess, stopProcess } from './processes';
import type { TestSystem } from './system';
import { orderRows, startTestSystem } from './system';
import { customerToken } from './tokens';

/** A saga's input, and the calls it scheduled: its activities, and its Nexus operations with their summaries. */
async function callsOf(system: TestSystem, orderId: string) {
  const events = await historyOf(system.client.workflow.getHandle(orderWorkflowId(orderId)));
  return {
    input: decodeJson(events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]) as PlaceOrderInput,
    operations: events.flatMap((event) => {
      const scheduled = event.nexusOperationScheduledEventAttributes;
      if (!scheduled) return [];
      const summary = decodeJson(event.userMetadata?.summary) as string | undefined;
      return [{ endpoint: scheduled.endpoint, operation: scheduled.operation, summary }];
    }),
    activities: events.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
  };
}

describe('the order saga over Nexus, each service in its own namespace', () => {
  describe('every service up', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ wiring: 'nexus' });
    });
    afterAll(async () => {
      await system?.stop();
    });

    it("completes through every service: the order's own calls are activities, the other teams' Nexus operations on their endpoints, their work in their namespaces", async () => {
      const orderId = await placeOrder(system.apiUrl, { items: [{ sku: 'SKU-1', quantity: 2 }] });
      const order = await orderReaches(system.apiUrl, orderId, ['completed']);
      expect(order.saga.steps.map((step) => step.status)).toEqual(Array(8).fill('succeeded'));

      const rows = await orderRows(system, orderId);
      expect(rows.order?.status).toBe('confirmed');
      expect(rows.reservations).toEqual([expect.objectContaining({ status: 'shipped' })]);
      expect(rows.charges).toEqual([expect.objectContaining({ status: 'captured' })]);
      expect(rows.shipments).toEqual([expect.objectContaining({ status: 'dispatched', task_token: '' })]);

      const endpoint = (service: 'inventory' | 'payments' | 'shipping') => system.config.nexus![service].endpoint;
      const { input, operations, activities } = await callsOf(system, orderId);
      // Of the other teams, the order knows the endpoints only: no task queue of theirs travels with it.
      expect(input.nexusEndpoints).toEqual({
        inventory: endpoint('inventory'),
        payments: endpoint('payments'),
        shipping: endpoint('shipping'),
      });
      expect(input.taskQueues).toEqual({ orders: system.config.taskQueues.orders });
      expect(activities).toEqual(['createOrder', 'confirmOrder', 'notifyCustomer']);
      expect(operations).toEqual([
        { endpoint: endpoint('inventory'), operation: 'reserveStock', summary: 'Reserve 2 × SKU-1' },
        { endpoint: endpoint('payments'), operation: 'screenPayment', summary: expect.stringMatching(/^Screen/) },
        { endpoint: endpoint('payments'), operation: 'chargePayment', summary: expect.stringMatching(/^Charge/) },
        { endpoint: endpoint('shipping'), operation: 'requestShipment', summary: 'Ship to London, GB' },
        { endpoint: endpoint('inventory'), operation: 'commitStock', summary: 'Commit 2 × SKU-1' },
      ]);

      // The shipment workflow ran in shipping's namespace, and the order's namespace has none of it.
      const shipmentId = shipmentWorkflowId(rows.shipments[0]!.shipment_id);
      const shipping = new Client({
        connection: system.client.connection,
        namespace: system.config.nexus!.shipping.namespace,
        dataConverter: system.client.options.dataConverter,
      });
      expect((await shipping.workflow.getHandle(shipmentId).describe()).status.name).toBe('COMPLETED');
      const inOrdersNamespace = await system.client.workflow
        .getHandle(shipmentId)
        .describe()
        .catch((error: unknown) => error);
      expect((inOrdersNamespace as Error).name).toBe('WorkflowNotFoundError');
    });

    it('cancels an order before its pivot, while the charge is in flight: the charge ends first, then is refunded once', async () => {
      // tok_slow: the charge is written, then the payments handler takes 5 s to answer: a window to cancel in.
      const customerId = `customer-${randomUUID()}`;
      const orderId = await placeOrder(system.apiUrl, { customerId, paymentToken: 'tok_slow' });
      const chargeOf = () =>
        system.databases.payments.selectFrom('charges').selectAll().where('order_id', '=', orderId).executeTakeFirst();
      await eventually(chargeOf);
      const cancel = await postJson(
        `${system.apiUrl}/orders/${orderId}/cancel`,
        { reason: 'changed my mind' },
        await customerToken(customerId),
      );
      expect(cancel.status).toBe(202);

      const cancelled = await orderReaches(system.apiUrl, orderId, ['cancelled']);
      expect(cancelled.saga.failure).toMatchObject({ type: 'SagaCancelled', message: 'changed my mind' });
      const rows = await orderRows(system, orderId);
      expect(rows.charges).toEqual([expect.objectContaining({ status: 'refunded' })]);
      expect(rows.refunds).toHaveLength(1);
      expect(rows.reservations).toEqual([expect.objectContaining({ status: 'released' })]);

      // The charge's operation was waited for: it closed before its refund was scheduled.
      const events = await historyOf(system.client.workflow.getHandle(orderWorkflowId(orderId)));
      const scheduledId = (operation: string) =>
        events.find((event) => event.nexusOperationScheduledEventAttributes?.operation === operation)?.eventId;
      const charge = scheduledId('chargePayment');
      const chargeClosed = events.find((event) =>
        [
          event.nexusOperationCompletedEventAttributes,
          event.nexusOperationFailedEventAttributes,
          event.nexusOperationCanceledEventAttributes,
          event.nexusOperationTimedOutEventAttributes,
        ].some((closed) => closed && Number(closed.scheduledEventId) === Number(charge)),
      );
      expect(Number(chargeClosed?.eventId)).toBeLessThan(Number(scheduledId('refundPayment')));
    });
  });

  describe('shipping down', () => {
    let system: TestSystem;
    const launched: Launched[] = [];
    beforeAll(async () => {
      system = await startTestSystem({ wiring: 'nexus', only: ['orders', 'inventory', 'payments'] });
    });
    afterAll(async () => {
      for (const process of launched) await stopProcess(process, 'SIGKILL');
      await system?.stop();
    });

    it('takes orders, which wait as awaiting_shipment past the pivot (no cancel), and complete once shipping is back', async () => {
      const customerId = `customer-${randomUUID()}`;
      const orderId = await placeOrder(system.apiUrl, { customerId });
      await orderReaches(system.apiUrl, orderId, ['awaiting_shipment']);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const waiting = await readOrder(system.apiUrl, orderId);
      expect(waiting.status).toBe('awaiting_shipment');
      expect(waiting.saga.steps.find((step) => step.name === 'requestShipment')?.status).toBe('running');
      const cancel = await postJson(`${system.apiUrl}/orders/${orderId}/cancel`, {}, await customerToken(customerId));
      expect(cancel.status).toBe(409);
      expect((cancel.body as { detail: string }).detail).toBe(
        "The pivot step 'requestShipment' is running: the saga may no longer be undone.",
      );

      const shipping = await startServiceProcess('shipping', system.processEnv);
      launched.push(shipping);
      expect(shipping.output()).toContain(`in namespace '${system.config.nexus!.shipping.namespace}'`);
      await orderReaches(system.apiUrl, orderId, ['completed']);
      expect((await orderRows(system, orderId)).shipments).toEqual([expect.objectContaining({ status: 'dispatched' })]);
      await stopProcess(shipping, 'SIGTERM');
      expect(shipping.child.exitCode).toBe(0);
    }, 90_000);
  });

  describe('payments with a payload key of its own', () => {
    // Each team encrypts with a key of its own and holds, besides it, only the keys of the teams it exchanges
    // payloads with: the order team reads payments' results, payments reads the order team's requests.
    const ordersKey = generatePayloadKey(`orders-${randomUUID().slice(0, 8)}`);
    const paymentsKey = generatePayloadKey(`payments-${randomUUID().slice(0, 8)}`);
    const ring = (...keys: PayloadKey[]) => keys.map(formatPayloadKey).join(', ');
    let system: TestSystem;
    const launched: Launched[] = [];
    beforeAll(async () => {
      system = await startTestSystem({
        wiring: 'nexus',
        only: ['orders', 'inventory', 'shipping'],
        env: { PAYLOAD_KEYS: ring(ordersKey, paymentsKey) },
      });
    });
    afterAll(async () => {
      for (const process of launched) await stopProcess(process, 'SIGKILL');
      await system?.stop();
    });

    it("reads the order team's requests and answers in its own key; without the order team's key, only its steps wait", async () => {
      // A payments team not yet given the order team's key cannot read a request: its operation is retried, and
      // the order waits at payments' first step, with what came before it done and nothing undone.
      const keyless = await startServiceProcess('payments', { ...system.processEnv, PAYLOAD_KEYS: ring(paymentsKey) });
      launched.push(keyless);
      const orderId = await placeOrder(system.apiUrl);
      const workflowId = orderWorkflowId(orderId);
      const pending = await eventually(async () => {
        const { pendingNexusOperations } = await system.client.workflowService.describeWorkflowExecution({
          namespace: system.config.temporal.namespace,
          execution: { workflowId },
        });
        const operation = pendingNexusOperations?.[0];
        return (operation?.attempt ?? 0) > 1 ? operation : undefined;
      });
      expect(pending.operation).toBe('screenPayment');
      expect(pending.lastAttemptFailure?.message).toMatch(/decode Nexus operation input/);
      const waiting = await readOrder(system.apiUrl, orderId);
      expect(waiting.saga.status).toBe('running');
      expect(waiting.saga.steps.slice(0, 3).map((step) => [step.name, step.status])).toEqual([
        ['reserveStock', 'succeeded'],
        ['createOrder', 'succeeded'],
        ['screenPayment', 'running'],
      ]);
      expect((await orderRows(system, orderId)).charges).toEqual([]);
      await stopProcess(keyless, 'SIGTERM');

      // Given it, payments reads the waiting request, and answers in its own key.
      launched.push(
        await startServiceProcess('payments', { ...system.processEnv, PAYLOAD_KEYS: ring(paymentsKey, ordersKey) }),
      );
      await orderReaches(system.apiUrl, orderId, ['completed']);
      expect((await orderRows(system, orderId)).charges).toEqual([expect.objectContaining({ status: 'captured' })]);
      const events = await historyOf(system.client.workflow.getHandle(workflowId));
      const keyOf = (payload: { metadata?: Record<string, Uint8Array> | null } | null | undefined) =>
        Buffer.from(payload?.metadata?.[keyIdMetadataKey] ?? []).toString();
      const operations = new Map(
        events.flatMap((event) => {
          const scheduled = event.nexusOperationScheduledEventAttributes;
          return scheduled ? [[Number(event.eventId), scheduled] as const] : [];
        }),
      );
      const keysUsed = events.flatMap((event) => {
        const completed = event.nexusOperationCompletedEventAttributes;
        const scheduled = operations.get(Number(completed?.scheduledEventId));
        if (!completed || !scheduled) return [];
        return [{ operation: scheduled.operation, input: keyOf(scheduled.input), result: keyOf(completed.result) }];
      });
      // Inventory and shipping run in the order team's process here, so their answers are in its key.
      expect(keysUsed).toEqual([
        { operation: 'reserveStock', input: ordersKey.id, result: ordersKey.id },
        { operation: 'screenPayment', input: ordersKey.id, result: paymentsKey.id },
        { operation: 'chargePayment', input: ordersKey.id, result: paymentsKey.id },
        { operation: 'requestShipment', input: ordersKey.id, result: ordersKey.id },
        { operation: 'commitStock', input: ordersKey.id, result: ordersKey.id },
      ]);
    }, 120_000);
  });
});
