/**
 * The order's shipping step has a heartbeat timeout, and the shipping service heartbeats it from its database while
 * the shipment is decided (activities/shipping/waiting-orders.ts). A request lost with its worker (killed after
 * recording the request and the step's task token, before starting the shipment workflow that would answer it) is
 * handed over again by the next shipping process, within seconds and without a retry of the order's step. Shipping
 * processes run on their own here, so that one can be killed.
 */
import path from 'node:path';
import type { ShippingDeps } from '../activities/shipping';
import type { WaitingOrdersOptions } from '../activities/shipping/waiting-orders';
import { orderWorkflowId } from '../api/orders/trigger';
import { readTestEnv } from './env';
import { historyOf, lastStartOf } from './history';
import { eventually } from './http';
import { orderReaches, placeOrder } from './orders';
import type { Launched } from './processes';
import { killedAfterEachTest, launch, startServiceProcess, stopProcess } from './processes';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

const projectRoot = path.resolve(__dirname, '..');

/** When a shipping process hands over a request recorded and not handed over (`handOverAfterMs`), plus a round. */
const recoveryWindowMs = 10_000 + 1_000;
/** What the order still does once shipped: confirm, commit the stock, notify; and the API's polling. */
const afterShipmentMs = 5_000;

/**
 * A shipping service process built with the delays and intervals it takes for tests (`workers/shipping.ts` reads
 * none from the environment): `handOverDelayMs` between recording a request and starting its shipment workflow,
 * `dispatchDelayMs` before dispatching, how often waiting orders are beaten.
 */
async function startShippingProcess(
  env: NodeJS.ProcessEnv,
  delays: Pick<ShippingDeps, 'handOverDelayMs' | 'dispatchDelayMs'> & WaitingOrdersOptions,
): Promise<Launched> {
  const workerFile = (file: string) => JSON.stringify(path.join(projectRoot, 'workers', file));
  const script = [
    `const { runServiceProcess } = require(${workerFile('service-process.ts')});`,
    `const { createShippingService } = require(${workerFile('shipping.ts')});`,
    `runServiceProcess((deps) => createShippingService(deps, undefined, ${JSON.stringify(delays)}));`,
  ].join('\n');
  const launched = launch(process.execPath, ['--import', 'tsx', '--eval', script], env);
  await eventually(async () => (launched.output().includes('shipping service: polling') ? true : undefined), {
    timeoutMs: 30_000,
  }).catch(() => {
    throw new Error(`The shipping process did not start:\n${launched.output()}`);
  });
  return launched;
}

describe("the shipping step's heartbeat", () => {
  let system: TestSystem;
  const launchedProcesses = killedAfterEachTest();
  /** Shipping processes on this system, with the run's prebuilt bundle: bundling at start would take seconds more. */
  const shippingEnv = () => ({ ...system.processEnv, WORKFLOW_BUNDLE: readTestEnv().workflowBundlePath });
  const shipmentsOf = (orderId: string) =>
    system.databases.shipping.selectFrom('shipments').selectAll().where('order_id', '=', orderId).execute();
  const requestShipmentStart = async (orderId: string) =>
    lastStartOf(await historyOf(system.client.workflow.getHandle(orderWorkflowId(orderId))), 'requestShipment');

  beforeAll(async () => {
    system = await startTestSystem({ only: ['orders', 'inventory', 'payments'] });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('hands over again a request lost with a shipping worker killed before it started the shipment workflow: the order completes within seconds, shipped once, on its first attempt', async () => {
    const doomed = await startShippingProcess(shippingEnv(), { handOverDelayMs: 120_000 });
    launchedProcesses.push(doomed);
    const orderId = await placeOrder(system.apiUrl);
    const [requested] = await eventually(async () => {
      const rows = await shipmentsOf(orderId);
      return rows.length > 0 ? rows : undefined;
    });
    await stopProcess(doomed, 'SIGKILL');
    const killedAt = Date.now();

    // The kill landed in the gap: the request is recorded, and its shipment workflow never started.
    expect(requested).toEqual(expect.objectContaining({ status: 'requested' }));
    const shipmentWorkflow = system.client.workflow.getHandle(`shipment-${requested!.shipment_id}`);
    await expect(shipmentWorkflow.describe()).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });

    const shipping = await startServiceProcess('shipping', shippingEnv());
    launchedProcesses.push(shipping);
    const completed = await orderReaches(system.apiUrl, orderId, ['completed'], recoveryWindowMs + afterShipmentMs);
    const recoveredMs = Date.now() - killedAt;
    console.log(`Order completed ${(recoveredMs / 1000).toFixed(1)} s after its shipping worker was killed`);

    expect(completed.status).toBe('completed');
    expect(await shipmentsOf(orderId)).toEqual([
      expect.objectContaining({ shipment_id: requested!.shipment_id, status: 'dispatched' }),
    ]);
    expect(recoveredMs).toBeLessThan(recoveryWindowMs + afterShipmentMs);
    // Shipping answered the step's first attempt: no heartbeat timeout, no retry.
    expect(await requestShipmentStart(orderId)).toEqual(expect.objectContaining({ attempt: 1 }));
    await expect(shipmentWorkflow.result()).resolves.toMatchObject({ status: 'dispatched' });
  }, 90_000);

  it("heartbeats the order's step while the shipment is decided, and stops at the decision", async () => {
    const slow = await startShippingProcess(shippingEnv(), { dispatchDelayMs: 10_000, beatIntervalMs: 2_000 });
    launchedProcesses.push(slow);
    const orderId = await placeOrder(system.apiUrl);

    // While the courier takes the parcel, the service beats the order's step by its token.
    const order = system.client.workflow.getHandle(orderWorkflowId(orderId));
    const waitingStep = await eventually(async () => {
      const { raw } = await order.describe();
      const step = raw.pendingActivities?.find((activity) => activity.activityType?.name === 'requestShipment');
      return step?.lastHeartbeatTime ? step : undefined;
    });
    expect(waitingStep.attempt).toBe(1);
    await orderReaches(system.apiUrl, orderId, ['completed']);
    const [shipped] = await shipmentsOf(orderId);
    expect(shipped).toEqual(expect.objectContaining({ status: 'dispatched', beaten_at: expect.any(String) }));
    expect(await requestShipmentStart(orderId)).toEqual(expect.objectContaining({ attempt: 1 }));
    // Beats stop with the decision: a decided shipment is never claimed again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await shipmentsOf(orderId))[0]?.beaten_at).toBe(shipped!.beaten_at);

    // Nothing holds the worker's shutdown (it would grant in-flight activities 10 s).
    const stopping = Date.now();
    await stopProcess(slow, 'SIGTERM');
    expect(slow.child.exitCode).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5_000);
  }, 60_000);
});
