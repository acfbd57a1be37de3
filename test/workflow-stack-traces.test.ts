/**
 * `WORKFLOW_STACK_TRACES`: off by default, the orders service runs its sagas without the SDK's per-promise stack
 * capture, and the Web UI's Stack Trace query says so; on, the same waiting saga answers with its stack. The orders
 * service runs as a process of its own each time, since the setting holds for a whole process.
 */
import { orderWorkflowId } from '../api/orders/trigger';
import { orderReaches, placeOrder } from './orders';
import { startServiceProcess, stopProcess } from './processes';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

describe('workflow stack traces', () => {
  let system: TestSystem;
  beforeAll(async () => {
    // Shipping is down: the order waits on its shipment, where its stack can be asked for.
    system = await startTestSystem({ only: ['inventory', 'payments'] });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('are off by default, and answer the Stack Trace query once turned on', async () => {
    const off = await startServiceProcess('orders', system.processEnv);
    let orderId: string;
    try {
      orderId = await placeOrder(system.apiUrl);
      await orderReaches(system.apiUrl, orderId, ['awaiting_shipment']);
      const handle = system.client.workflow.getHandle(orderWorkflowId(orderId));
      await expect(handle.query('__stack_trace')).rejects.toThrow(/stack traces are not enabled/);
    } finally {
      await stopProcess(off, 'SIGTERM');
    }

    const on = await startServiceProcess('orders', { ...system.processEnv, WORKFLOW_STACK_TRACES: 'on' });
    try {
      // The new worker replays the waiting saga to answer: with the hook, each pending promise has its stack.
      const stack = await system.client.workflow.getHandle(orderWorkflowId(orderId)).query<string>('__stack_trace');
      expect(stack).toMatch(/workflows[\\/]saga[\\/]/);
    } finally {
      await stopProcess(on, 'SIGTERM');
    }
  }, 90_000);
});
