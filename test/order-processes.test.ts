/**
 * Services as the separate processes they are in production: a payments worker killed mid-activity, one stopped
 * with SIGTERM mid-activity, a shipping service that is down while orders keep coming, the orders service's
 * Prometheus endpoint (its saga counters, and its gauge of orders waiting for an operator). Orders read with
 * every service stopped: order-reads-without-workers.test.ts.
 */
import { orderWorkflowId } from '../api/orders/trigger';
import { undeliverableAddress } from './fixtures/orders';
import { eventually, postJson } from './http';
import { historyOf, lastStartOf } from './history';
import { orderReaches, placeOrder, readOrder } from './orders';
import { freePort, killedAfterEachTest, startServiceProcess, stopProcess } from './processes';
import { sagaCounters, scrape, total } from './prometheus';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { testOperatorToken } from './tokens';

describe('services as separate processes', () => {
  const launchedProcesses = killedAfterEachTest();

  describe('payments killed after the charge is written, before the activity completes', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ only: ['orders', 'inventory', 'shipping'] });
    });
    afterAll(async () => {
      await system?.stop();
    });

    it('leaves exactly one charge after the restarted service retries the activity', async () => {
      const first = await startServiceProcess('payments', system.processEnv);
      launchedProcesses.push(first);
      // tok_slow: the charge commits, then the first attempt waits 5 s before answering: the window to crash in.
      const orderId = await placeOrder(system.apiUrl, { paymentToken: 'tok_slow' });
      const chargesOf = () =>
        system.databases.payments.selectFrom('charges').selectAll().where('order_id', '=', orderId).execute();
      await eventually(async () => ((await chargesOf()).length > 0 ? true : undefined));
      await stopProcess(first, 'SIGKILL');

      const second = await startServiceProcess('payments', system.processEnv);
      launchedProcesses.push(second);
      await orderReaches(system.apiUrl, orderId, ['completed'], 45_000);

      expect(await chargesOf()).toEqual([expect.objectContaining({ status: 'captured' })]);
      const events = await historyOf(system.client.workflow.getHandle(orderWorkflowId(orderId)));
      expect(lastStartOf(events, 'chargePayment')?.attempt).toBe(2); // the retry after the crash
      await stopProcess(second, 'SIGTERM');
      expect(second.child.exitCode).toBe(0);
    }, 90_000);
  });

  describe('payments stopped with SIGTERM during a slow charge', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ only: ['orders', 'inventory', 'shipping'] });
    });
    afterAll(async () => {
      await system?.stop();
    });

    it('finishes the charge in flight before it exits, and the sagas waiting on payments go on after a restart', async () => {
      const first = await startServiceProcess('payments', system.processEnv);
      launchedProcesses.push(first);
      const slowOrder = await placeOrder(system.apiUrl, { paymentToken: 'tok_slow' });
      const chargesOf = (orderId: string) =>
        system.databases.payments.selectFrom('charges').selectAll().where('order_id', '=', orderId).execute();
      // The charge is committed; its activity now takes 5 s to answer. Stop the service in that window.
      await eventually(async () => ((await chargesOf(slowOrder)).length > 0 ? true : undefined));
      first.child.kill('SIGTERM');
      const laterOrder = await placeOrder(system.apiUrl); // arrives while payments drains, then is down

      expect(await first.exited).toBe(0);
      const slowEvents = await historyOf(system.client.workflow.getHandle(orderWorkflowId(slowOrder)));
      // The attempt in flight completed: no second attempt, no timeout.
      expect(lastStartOf(slowEvents, 'chargePayment')?.attempt).toBe(1);
      expect(
        slowEvents.some((event) => event.activityTaskCompletedEventAttributes) &&
          !slowEvents.some((event) => event.activityTaskTimedOutEventAttributes),
      ).toBe(true);
      // With payments down, its first payments step (the fraud screen) is scheduled and waits on the task queue.
      await eventually(async () => {
        const { saga } = await readOrder(system.apiUrl, laterOrder);
        return saga.steps.find((step) => step.name === 'screenPayment')?.status === 'running' ? true : undefined;
      });

      const second = await startServiceProcess('payments', system.processEnv);
      launchedProcesses.push(second);
      for (const orderId of [slowOrder, laterOrder]) {
        await orderReaches(system.apiUrl, orderId, ['completed'], 45_000);
        expect(await chargesOf(orderId)).toEqual([expect.objectContaining({ status: 'captured' })]);
      }
    }, 90_000);
  });

  describe("the orders service's Prometheus endpoint", () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ only: ['inventory', 'payments', 'shipping'] });
    });
    afterAll(async () => {
      await system?.stop();
    });

    it('counts the sagas it ran: started, completed and compensated', async () => {
      const metricsPort = await freePort();
      const orders = await startServiceProcess('orders', { ...system.processEnv, METRICS_PORT: String(metricsPort) });
      launchedProcesses.push(orders);
      const placed = await Promise.all([
        placeOrder(system.apiUrl),
        placeOrder(system.apiUrl),
        placeOrder(system.apiUrl, { paymentToken: 'tok_declined' }),
      ]);
      await Promise.all(placed.map((orderId) => orderReaches(system.apiUrl, orderId, ['completed', 'cancelled'])));

      // Workflow metrics reach the endpoint shortly after the workflow task that counted them.
      const counters = async () =>
        sagaCounters(await scrape(`http://127.0.0.1:${metricsPort}/metrics`), { workflowType: 'placeOrder' });
      await eventually(async () => ((await counters()).saga_started === 3 ? true : undefined)).catch(() => undefined);
      expect(await counters()).toEqual({ saga_started: 3, saga_completed: 2, saga_compensated: 1 });
    }, 90_000);

    it('shows how many of its orders wait for an operator now, and drops when one is resolved', async () => {
      const metricsPort = await freePort();
      const orders = await startServiceProcess('orders', { ...system.processEnv, METRICS_PORT: String(metricsPort) });
      launchedProcesses.push(orders);
      const waiting = async () =>
        total(await scrape(`http://127.0.0.1:${metricsPort}/metrics`), 'saga_needs_attention_current', {
          taskQueue: system.config.taskQueues.orders,
          workflowType: 'placeOrder',
        });
      const gaugeReads = async (expected: number) => {
        let last: number | undefined;
        await eventually(async () => ((last = await waiting()) === expected ? true : undefined)).catch(() => undefined);
        return last;
      };
      // Its refund is refused for good: the order escalates, and stays so until an operator skips the refund.
      const orderId = await placeOrder(system.apiUrl, {
        paymentToken: 'tok_refund_fails_1000',
        shippingAddress: undeliverableAddress,
      });
      await orderReaches(system.apiUrl, orderId, ['needs_attention'], 45_000);
      expect(await gaugeReads(1)).toBe(1);

      const resolved = await postJson(
        `${system.apiUrl}/orders/${orderId}/compensations/resolve`,
        { step: 'chargePayment', action: 'skip', reason: 'refunded by hand' },
        testOperatorToken,
      );
      expect(resolved.status).toBe(202);
      await orderReaches(system.apiUrl, orderId, ['cancelled']);
      expect(await gaugeReads(0)).toBe(0);
    }, 90_000);
  });

  describe('shipping down', () => {
    let system: TestSystem;
    beforeAll(async () => {
      system = await startTestSystem({ only: ['orders', 'inventory', 'payments'] });
    });
    afterAll(async () => {
      await system?.stop();
    });

    it('still takes orders, which wait as awaiting_shipment and complete once shipping is back', async () => {
      const orderId = await placeOrder(system.apiUrl); // throws unless the API answered 202

      await orderReaches(system.apiUrl, orderId, ['awaiting_shipment']);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const waiting = await readOrder(system.apiUrl, orderId);
      expect(waiting.status).toBe('awaiting_shipment');
      expect(waiting.saga.steps.find((step) => step.name === 'requestShipment')?.status).toBe('running');

      const shipping = await startServiceProcess('shipping', system.processEnv);
      launchedProcesses.push(shipping);
      await orderReaches(system.apiUrl, orderId, ['completed']);
      const shipments = await system.databases.shipping
        .selectFrom('shipments')
        .selectAll()
        .where('order_id', '=', orderId)
        .execute();
      expect(shipments).toEqual([expect.objectContaining({ status: 'dispatched' })]);
      await stopProcess(shipping, 'SIGTERM');
      expect(shipping.child.exitCode).toBe(0);
    }, 90_000);
  });
});
