/**
 * `npm run test:cluster`: the production topology without containers, wired as docker-compose.yml wires it and by
 * configuration alone: the full Temporal server on PostgreSQL, two processes of each service worker from the
 * build (dist/), every service's data in its own PostgreSQL database, and the API. A batch of mixed orders (every
 * path) runs through it while the Temporal server is killed with SIGKILL and restarted: no order is lost, none
 * is charged twice, and both replicas of every service did work. `SERVICE_WIRING=nexus npm run test:cluster` runs it
 * in the Nexus wiring: inventory, payments and shipping in namespaces of their own, behind endpoints.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../../config';
import { ensureNexusEndpoints } from '../../workers/nexus-endpoints';
import { allServices, nexusServices } from '../../workers/service-workers';
import { eventually } from '../http';
import type { SettledOrder } from '../order-batch';
import { expectOrderInvariants, mixedBatch } from '../order-batch';
import { orderReaches, placeOrder, readOrder } from '../orders';
import { createServiceDatabases, testPostgresUrlVariable } from '../postgres';
import { scrape, total } from '../prometheus';
import type { ServiceDatabases } from '../postgres';
import type { Launched } from '../processes';
import { freePort, launch, startServiceProcess, stopProcess } from '../processes';
import type { Databases } from '../system';
import { closeDatabases, openDatabases } from '../system';
import { testOperatorToken, testTokenSecret } from '../tokens';
import type { ClusterServer } from './temporal-server';
import { startClusterServer } from './temporal-server';

const projectRoot = path.resolve(__dirname, '..', '..');
const replicas = 2;
/** The wiring this run tests, from the environment as every process of it reads it. */
const nexus = process.env.SERVICE_WIRING === 'nexus';

interface Replica {
  service: string;
  metricsPort: number;
  process: Launched;
}

/** What a worker process's Prometheus endpoint says it ran: activity, Nexus and workflow tasks. */
async function tasksRun(
  metricsPort: number,
): Promise<{ activities: number; nexusTasks: number; workflowTasks: number }> {
  const samples = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
  return {
    activities: total(samples, 'temporal_activity_execution_latency_count'),
    nexusTasks: total(samples, 'temporal_nexus_task_execution_latency_count'),
    workflowTasks: total(samples, 'temporal_workflow_task_execution_latency_count'),
  };
}

describe(`the production topology: full Temporal server, services on PostgreSQL, two replicas each, wired by ${nexus ? 'Nexus' : 'task queues'}`, () => {
  let workDir: string;
  let server: ClusterServer;
  let storage: ServiceDatabases;
  let databases: Databases;
  let apiUrl: string;
  const processes: Launched[] = [];
  const workers: Replica[] = [];

  beforeAll(async () => {
    const postgresUrl = process.env[testPostgresUrlVariable];
    if (!postgresUrl) throw new Error('npm run test:cluster starts PostgreSQL; run it, not jest directly.');
    workDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-cluster-'));
    const prefix = `cluster_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    server = await startClusterServer({
      postgresUrl,
      databasePrefix: prefix,
      workDir,
      namespaces: nexus ? nexusServices : [],
    });
    storage = await createServiceDatabases(postgresUrl);
    // Configuration alone, as in docker-compose.yml: the Temporal address and each service's database URL.
    const env = {
      ...process.env,
      ...storage.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      DATA_DIR: workDir,
    };
    const config = loadConfig(env);
    databases = await openDatabases(config);
    // Created by the cluster's operator, as docs/nexus-wiring.md says.
    if (config.nexus) {
      const connection = await Connection.connect({ address: server.address });
      await ensureNexusEndpoints(connection, config.nexus, config.taskQueues).finally(() => connection.close());
    }
    for (const service of allServices) {
      for (let replica = 0; replica < replicas; replica++) {
        const metricsPort = await freePort();
        const launched = await startServiceProcess(
          service,
          { ...env, METRICS_PORT: String(metricsPort) },
          { built: true },
        );
        processes.push(launched);
        workers.push({ service, metricsPort, process: launched });
      }
    }
    const apiPort = await freePort();
    const api = launch(process.execPath, [path.join(projectRoot, 'dist', 'api', 'server.js')], {
      ...env,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // 60 orders and their polling come from one address: the limits are not what this test is about.
      API_RATE_LIMIT_STARTS: '0',
      API_RATE_LIMIT_READS: '0',
      // Each order is placed with its customer's token, signed with the test secret; the test reads as the operator.
      API_TOKEN_SECRET: testTokenSecret,
      OPERATOR_TOKEN: testOperatorToken,
    });
    processes.push(api);
    apiUrl = `http://127.0.0.1:${apiPort}`;
    await eventually(async () => ((await fetch(`${apiUrl}/readyz`)).ok ? true : undefined), { timeoutMs: 30_000 });
  }, 240_000);

  afterAll(async () => {
    for (const launched of processes.splice(0).reverse()) await stopProcess(launched, 'SIGTERM');
    if (databases) await closeDatabases(databases);
    await server?.stop();
    await storage?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('completes a mixed batch across a SIGKILL of the Temporal server: nothing lost, nothing charged twice', async () => {
    const before = mixedBatch(40);
    const place = (batch: typeof before) =>
      Promise.all(batch.map(async ({ kind, request }) => ({ kind, orderId: await placeOrder(apiUrl, request) })));
    // A first wave goes through; the server is killed right after a second wave is accepted, mid-flight.
    const placed = await place(before.slice(0, 10));
    await orderReaches(apiUrl, placed[0]!.orderId, ['completed'], 60_000);
    placed.push(...(await place(before.slice(10))));
    const statusesAtKill = await Promise.all(
      placed.map(async ({ orderId }) => (await readOrder(apiUrl, orderId)).status),
    );
    await server.kill();
    const inFlightAtKill = statusesAtKill.filter((status) => !['completed', 'cancelled'].includes(status)).length;
    expect(inFlightAtKill).toBeGreaterThan(0);
    console.log(`killed the Temporal server with ${inFlightAtKill} of ${placed.length} orders in flight`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await server.restart();

    // Orders keep coming after the restart; a client retries its 503s during the outage.
    const after = mixedBatch(20, before.length);
    for (const { kind, request } of after) {
      placed.push({ kind, orderId: await eventually(() => placeOrder(apiUrl, request), { timeoutMs: 60_000 }) });
    }

    const settled: SettledOrder[] = await Promise.all(
      placed.map(async ({ kind, orderId }) => ({
        kind,
        orderId,
        status: (await orderReaches(apiUrl, orderId, ['completed', 'cancelled'], 240_000)).status,
      })),
    );
    expect(settled).toHaveLength(60);
    await expectOrderInvariants(databases, settled);

    // Every replica of every service took tasks: activities, or in the Nexus wiring the operations of inventory and
    // payments (the orders and shipping workers run workflows too).
    const work = await Promise.all(
      workers.map(async ({ service, metricsPort }, index) => ({
        replica: `${service} #${(index % replicas) + 1}`,
        ...(await tasksRun(metricsPort)),
      })),
    );
    for (const { replica, activities, nexusTasks } of work)
      expect({ replica, didWork: activities + nexusTasks > 0 }).toEqual({ replica, didWork: true });
    console.log(
      'tasks per replica:\n' +
        work
          .map(
            (row) =>
              `  ${row.replica}: ${row.activities} activities, ${row.nexusTasks} Nexus tasks, ${row.workflowTasks} workflow tasks`,
          )
          .join('\n'),
    );
  }, 600_000);
});
