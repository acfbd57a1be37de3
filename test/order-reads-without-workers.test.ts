/**
 * Orders read, finished or running, with every service worker stopped: the API answers from what the sagas wrote to
 * Temporal (a finished saga's memo, a running one's search attributes), not from a worker. What it tests does not
 * depend on where the services keep their data, so the PostgreSQL run leaves it out.
 */
import { orderWorkflowId } from '../api/orders/trigger';
import { eventually, request } from './http';
import { orderReaches, orderStepPublished, placeOrder, readOrder } from './orders';
import { killedAfterEachTest, startServiceProcess, stopProcess } from './processes';
import type { TestSystem } from './system';
import { startTestSystem } from './system';
import { testOperatorToken } from './tokens';

const launchedProcesses = killedAfterEachTest();

describe('orders read with every service worker stopped', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ only: [] });
  });
  afterAll(async () => {
    await system?.stop();
  });

  /** GET /orders/:id as the operator, and how long it took. */
  const timedRead = async (orderId: string) => {
    const began = performance.now();
    const read = await request(`${system.apiUrl}/orders/${orderId}`, { token: testOperatorToken });
    return { read, elapsedMs: performance.now() - began };
  };

  it('still answers the state of a finished order, at once, from its memo', async () => {
    const services = await Promise.all(
      (['orders', 'inventory', 'payments', 'shipping'] as const).map((service) =>
        startServiceProcess(service, system.processEnv),
      ),
    );
    launchedProcesses.push(...services);
    const orderId = await placeOrder(system.apiUrl);
    const completed = await orderReaches(system.apiUrl, orderId, ['completed'], 45_000);
    for (const service of services) await stopProcess(service, 'SIGTERM');

    // A query would need a worker to replay the history; the memo needs none, so nothing waits for the bound.
    const { read, elapsedMs } = await timedRead(orderId);
    console.log(`GET /orders/:id of a finished order with no worker: ${elapsedMs.toFixed(0)} ms`);
    expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: completed });
    expect(completed).toMatchObject({ status: 'completed', stale: false });
    expect(elapsedMs).toBeLessThan(1_000);
  }, 90_000);

  it('answers running orders within a second, from what their sagas published, marked stale', async () => {
    const [orders, inventory, payments] = await Promise.all([
      startServiceProcess('orders', system.processEnv),
      startServiceProcess('inventory', system.processEnv),
      startServiceProcess('payments', system.processEnv),
    ]);
    launchedProcesses.push(orders, inventory, payments);
    // Shipping is down: the first order waits on it. Then payments goes: the second waits on its fraud screen.
    const awaitingShipment = await placeOrder(system.apiUrl);
    await orderReaches(system.apiUrl, awaitingShipment, ['awaiting_shipment']);
    await stopProcess(payments, 'SIGTERM');
    const screening = await placeOrder(system.apiUrl);
    await eventually(async () => {
      const { saga } = await readOrder(system.apiUrl, screening);
      return saga.steps.find((step) => step.name === 'screenPayment')?.status === 'running' ? true : undefined;
    });
    // What a stale answer shows is what the sagas published: each has run long enough to write its step.
    await orderStepPublished(system, awaitingShipment, 'requestShipment');
    await orderStepPublished(system, screening, 'screenPayment');
    await stopProcess(orders, 'SIGTERM');
    await stopProcess(inventory, 'SIGTERM');

    const expected = [
      [awaitingShipment, 'awaiting_shipment', 'requestShipment'],
      [screening, 'processing', 'screenPayment'],
    ] as const;
    for (const [orderId, status, currentStep] of expected) {
      const { read, elapsedMs } = await timedRead(orderId);
      console.log(`GET /orders/:id of a running order (${status}) with no worker: ${elapsedMs.toFixed(0)} ms`);
      expect({ status: read.status, body: read.body }).toEqual({
        status: 200,
        body: {
          orderId,
          status,
          stale: true,
          saga: { sagaId: orderWorkflowId(orderId), status: 'running', currentStep, startedAt: expect.any(String) },
          links: expect.objectContaining({ self: `/orders/${orderId}` }),
        },
      });
      expect(elapsedMs).toBeLessThan(1_000);
    }
  }, 150_000);
});
