/**
 * Services as the separate processes they are in production: a payments worker killed mid-activity, and a
 * shipping service that is down while orders keep coming.
 */
import { orderWorkflowId } from '../api/orders/trigger';
import { eventually } from './http';
import { historyOf, lastStartOf } from './history';
import { orderReaches, placeOrder, readOrder } from './orders';
import type { Launched } from './processes';
import { startServiceProcess, stopProcess } from './processes';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

describe('services as separate processes', () => {
  const launchedProcesses: Launched[] = [];
  afterEach(async () => {
    for (const launched of launchedProcesses.splice(0)) await stopProcess(launched, 'SIGKILL');
  });

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
