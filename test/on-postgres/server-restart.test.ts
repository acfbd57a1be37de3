/**
 * A PostgreSQL restart in the middle of a batch of orders (run by `npm run test:postgres` only): every connection
 * of every service ends at once and the server refuses new ones for a moment. The service processes stay up, the
 * steps that met the restart are retried, every order settles as its kind says, and the invariants hold.
 */
import { expectOrderInvariants, mixedBatch } from '../order-batch';
import { orderReaches, placeOrder } from '../orders';
import { restartLocalServer } from '../postgres';
import type { Launched } from '../processes';
import { startServiceProcess, stopProcess } from '../processes';
import type { TestSystem } from '../system';
import { startTestSystem } from '../system';

describe('a PostgreSQL restart during a batch', () => {
  let system: TestSystem;
  const services: Launched[] = [];
  beforeAll(async () => {
    system = await startTestSystem({ only: [] });
    for (const service of ['orders', 'inventory', 'payments', 'shipping'] as const) {
      services.push(await startServiceProcess(service, system.processEnv));
    }
  });
  afterAll(async () => {
    for (const service of services) await stopProcess(service, 'SIGKILL');
    await system?.stop();
  });

  it('exits no worker process, and every order settles', async () => {
    const batch = mixedBatch(30);
    const placed: { kind: (typeof batch)[number]['kind']; orderId: string }[] = [];
    for (const [index, { kind, request }] of batch.entries()) {
      placed.push({ kind, orderId: await placeOrder(system.apiUrl, request) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (index === 10) restartLocalServer();
    }

    const settled = await Promise.all(
      placed.map(async ({ kind, orderId }) => ({
        kind,
        orderId,
        status: (await orderReaches(system.apiUrl, orderId, ['completed', 'cancelled'], 120_000)).status,
      })),
    );
    await expectOrderInvariants(system.databases, settled);
    expect(services.map(({ child }) => child.exitCode)).toEqual([null, null, null, null]);
  }, 180_000);
});
