/**
 * `npm run build` as production runs it: the compiled worker loads the prebuilt workflow bundle (no webpack at
 * start) and runs orders end to end.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { orderReaches, placeOrder } from './orders';
import type { Launched } from './processes';
import { startServiceProcess, stopProcess } from './processes';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

const projectRoot = path.resolve(__dirname, '..');

describe('the production build', () => {
  let system: TestSystem;
  let orders: Launched | undefined;
  beforeAll(async () => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, encoding: 'utf8', timeout: 120_000 });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
    system = await startTestSystem({ only: ['inventory', 'payments', 'shipping'] });
  }, 150_000);
  afterAll(async () => {
    if (orders) await stopProcess(orders, 'SIGTERM');
    await system?.stop();
  });

  it('runs the orders service from dist/, with the prebuilt workflow bundle', async () => {
    orders = await startServiceProcess('orders', system.processEnv, { built: true });
    expect(orders.output()).toMatch(
      /orders service: polling .*; workflows: prebuilt bundle \S*dist\/workflow-bundle\.js \(worker created in \d+ ms\)\n/,
    );

    const orderId = await placeOrder(system.apiUrl);
    expect((await orderReaches(system.apiUrl, orderId, ['completed'])).status).toBe('completed');
  });
});
