/**
 * PostgreSQL faults the services must survive (run by `npm run test:postgres` only: `npm test` has no server to
 * kill connections on): every connection of the services ended, as an idle-connection kill would; and a server
 * restart in the middle of a batch of orders, which ends every connection at once and refuses new ones for a
 * moment. The service processes stay up, the steps that met the fault are retried, and every order settles.
 */
import type { OrderKind } from '../order-batch';
import { expectOrderInvariants, mixedBatch, settleAll } from '../order-batch';
import { orderReaches, placeOrder } from '../orders';
import { restartLocalServer, terminateConnections } from '../postgres';
import type { Launched } from '../processes';
import { startServiceProcess, stopProcess } from '../processes';
import type { TestSystem } from '../system';
import { startTestSystem } from '../system';

describe('the services on PostgreSQL', () => {
  let system: TestSystem;
  const services: Launched[] = [];
  /** Every order the tests placed, for the invariants over the whole databases at the end. */
  const placed: { kind: OrderKind; orderId: string }[] = [];
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

  it('keep working after every database connection of theirs is killed', async () => {
    const first = await placeOrder(system.apiUrl);
    await orderReaches(system.apiUrl, first, ['completed'], 45_000);
    const database = new URL(system.processEnv.ORDERS_DATABASE_URL ?? '').pathname.slice(1);
    expect(await terminateConnections(database.replace(/orders$/, ''))).toBeGreaterThan(0);

    const orderIds = await Promise.all([1, 2, 3].map(() => placeOrder(system.apiUrl)));
    for (const orderId of orderIds) await orderReaches(system.apiUrl, orderId, ['completed'], 45_000);
    placed.push(...[first, ...orderIds].map((orderId) => ({ kind: 'normal' as const, orderId })));
    expect(services.map(({ child }) => child.exitCode)).toEqual([null, null, null, null]);
  }, 120_000);

  it('keep working through a server restart in the middle of a batch, and every order settles', async () => {
    for (const [index, { kind, request }] of mixedBatch(30).entries()) {
      placed.push({ kind, orderId: await placeOrder(system.apiUrl, request) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (index === 10) restartLocalServer();
    }

    await expectOrderInvariants(system.databases, await settleAll(system.apiUrl, placed));
    expect(services.map(({ child }) => child.exitCode)).toEqual([null, null, null, null]);
  }, 180_000);
});
