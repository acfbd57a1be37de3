/**
 * PostgreSQL faults the services must survive (run by `npm run test:postgres` only: `npm test` has no server to
 * kill connections on). Every connection of the services is ended, as a database restart or an idle-connection
 * kill would; the service processes stay up and the next orders complete.
 */
import { orderReaches, placeOrder } from '../orders';
import { terminateConnections } from '../postgres';
import type { Launched } from '../processes';
import { startServiceProcess, stopProcess } from '../processes';
import type { TestSystem } from '../system';
import { startTestSystem } from '../system';

describe('the services on PostgreSQL', () => {
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

  it('keep working after every database connection of theirs is killed', async () => {
    await orderReaches(system.apiUrl, await placeOrder(system.apiUrl), ['completed'], 45_000);
    const database = new URL(system.processEnv.ORDERS_DATABASE_URL ?? '').pathname.slice(1);
    expect(await terminateConnections(database.replace(/orders$/, ''))).toBeGreaterThan(0);

    const orderIds = await Promise.all([1, 2, 3].map(() => placeOrder(system.apiUrl)));
    for (const orderId of orderIds) await orderReaches(system.apiUrl, orderId, ['completed'], 45_000);
    expect(services.map(({ child }) => child.exitCode)).toEqual([null, null, null, null]);
  }, 120_000);
});
