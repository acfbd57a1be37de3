/**
 * The pre-deploy check, `npm run replay`, against a live server holding completed, compensated and running sagas:
 * it passes with the current code, and fails, naming every saga, once an incompatible change is swapped in; with
 * the services wired by task queues, and over Nexus.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { orderWorkflowId } from '../api/orders/trigger';
import { eventually } from './http';
import { orderReaches, placeOrder } from './orders';
import { launch, startServiceProcess, stopProcess } from './processes';
import type { TestSystem } from './system';
import { startTestSystem, wirings } from './system';

const projectRoot = path.resolve(__dirname, '..');

async function replayCli(system: TestSystem, args: string[]): Promise<{ exitCode: number | string; output: string }> {
  const cli = launch(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'scripts', 'replay.ts'), ...args], {
    ...system.processEnv,
  });
  const exitCode = await cli.exited;
  return { exitCode, output: cli.output() };
}

describe.each(wirings)('npm run replay, services wired by %s', (wiring) => {
  let system: TestSystem;
  beforeAll(async () => {
    // No shipping service: one order stays running, awaiting its shipment.
    system = await startTestSystem({ only: ['orders', 'inventory', 'payments'], wiring });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('passes the live sagas with the current code, and names each one an incompatible change would break', async () => {
    const customerId = `replay-${randomUUID()}`;
    // A completed order, while the shipping service runs as a process of its own; then shipping goes away.
    const shipping = await startServiceProcess('shipping', system.processEnv);
    const completed = await placeOrder(system.apiUrl, { customerId });
    await orderReaches(system.apiUrl, completed, ['completed']);
    await stopProcess(shipping, 'SIGTERM');
    const declined = await placeOrder(system.apiUrl, { customerId, paymentToken: 'tok_declined' });
    const soldOut = await placeOrder(system.apiUrl, {
      customerId,
      items: [{ sku: 'SKU-SOLD-OUT', quantity: 1 }],
    });
    const waiting = await placeOrder(system.apiUrl, { customerId });
    await orderReaches(system.apiUrl, declined, ['cancelled']);
    await orderReaches(system.apiUrl, soldOut, ['cancelled']);
    await orderReaches(system.apiUrl, waiting, ['awaiting_shipment']);
    const ids = [completed, declined, soldOut, waiting].map(orderWorkflowId);
    const query = `CustomerId = '${customerId}'`;
    await eventually(async () => ((await system.client.workflow.count(query)).count === 4 ? true : undefined));

    const compatible = await replayCli(system, ['--query', query]);
    expect(compatible.exitCode).toBe(0);
    for (const id of ids) expect(compatible.output).toMatch(new RegExp(`✓ \\[\\d\\] ${id}\\n`));
    expect(compatible.output).toContain('4 replayed, 4 compatible, 0 incompatible');

    const incompatible = await replayCli(system, [
      '--query',
      query,
      '--workflows',
      path.join(projectRoot, 'test', 'replay', 'incompatible-workflows.ts'),
    ]);
    expect(incompatible.exitCode).toBe(1);
    expect(incompatible.output).toContain('4 replayed, 0 compatible, 4 incompatible');
    for (const id of ids)
      expect(incompatible.output).toMatch(new RegExp(`✗ \\[\\d\\] ${id}: DeterminismViolationError`));
  }, 120_000);
});
