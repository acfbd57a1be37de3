/**
 * The system under test, in the test process: the real services (all, or some, when a test runs one as a process
 * of its own) with their own fresh databases (SQLite files in a new data folder, or new PostgreSQL databases when
 * `TEST_POSTGRES_URL` is set), and the real HTTP API on a free port, all connected to the run's real Temporal
 * server.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import type { InventorySchema } from '../activities/inventory/schema';
import type { OrdersSchema } from '../activities/orders/schema';
import type { PaymentsSchema } from '../activities/payments/schema';
import type { ShippingSchema } from '../activities/shipping/schema';
import { inventoryMigrations } from '../activities/inventory/schema';
import { ordersMigrations } from '../activities/orders/schema';
import { paymentsMigrations } from '../activities/payments/schema';
import { shippingMigrations } from '../activities/shipping/schema';
import type { AppDeps } from '../api/app';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import { listen } from '../api/server';
import type { PayloadEncryption } from '../codec/data-converter';
import { loadPayloadEncryption } from '../codec/data-converter';
import type { Config } from '../config';
import { loadConfig, nexusEndpointsOf } from '../config';
import type { ServiceName } from '../workers/service-worker';
import { openServiceDatabase, serviceWorkerLogger } from '../workers/service-worker';
import { deleteNexusEndpoints, ensureNexusEndpoints } from '../workers/nexus-endpoints';
import { allServices, nexusServices, startServices } from '../workers/service-workers';
import { readTestEnv } from './env';
import { createServiceDatabases } from './postgres';
import { testOperatorToken, testTokenSecret, testTokenSettings } from './tokens';

/** Each service's database, opened beside the service (SQLite in WAL mode, or PostgreSQL, lets both read and write). */
export interface Databases {
  orders: Kysely<OrdersSchema>;
  inventory: Kysely<InventorySchema>;
  payments: Kysely<PaymentsSchema>;
  shipping: Kysely<ShippingSchema>;
}

/** Opens every service's database where `config` says it is, as the services do (migrations included). */
export async function openDatabases(config: Config): Promise<Databases> {
  return {
    orders: (await openServiceDatabase<OrdersSchema>('orders', config, ordersMigrations)).db,
    inventory: (await openServiceDatabase<InventorySchema>('inventory', config, inventoryMigrations)).db,
    payments: (await openServiceDatabase<PaymentsSchema>('payments', config, paymentsMigrations)).db,
    shipping: (await openServiceDatabase<ShippingSchema>('shipping', config, shippingMigrations)).db,
  };
}

export async function closeDatabases(databases: Databases): Promise<void> {
  await Promise.all(Object.values(databases).map((db: Kysely<unknown>) => db.destroy()));
}

export interface TestSystem {
  /** The API's base URL, e.g. `http://127.0.0.1:40123`. */
  apiUrl: string;
  client: Client;
  config: Config;
  /** Its payload codec and data converter, from its configuration (the run's key, unless `env` names others). */
  encryption: PayloadEncryption;
  /** Environment for a service started as a separate process: same server, same data folder. */
  processEnv: NodeJS.ProcessEnv;
  databases: Databases;
  stop: () => Promise<void>;
}

let runtimeInstalled = false;

/**
 * How the order saga reaches inventory, payments and shipping: on their task queues in the run's namespace, or over
 * Nexus endpoints, each service in its own namespace (the run's server has them: global-setup.ts).
 */
export type Wiring = 'task-queues' | 'nexus';
export const wirings: readonly Wiring[] = ['task-queues', 'nexus'];

/**
 * Task queues of this test system's own, `<service>-<id>`, and in the Nexus wiring endpoints of its own too: every
 * test system shares the run's server, and a saga a test leaves running must not go on in a later test's workers
 * and write to that test's databases.
 */
function ownServiceNames(wiring: Wiring): NodeJS.ProcessEnv {
  const id = randomUUID().slice(0, 8);
  const taskQueues = allServices.map((service): [string, string] => [
    `${service.toUpperCase()}_TASK_QUEUE`,
    `${service}-${id}`,
  ]);
  return { ...Object.fromEntries(taskQueues), ...(wiring === 'nexus' ? nexusWiringEnv(id) : {}) };
}

/**
 * The Nexus wiring, for inventory, payments and shipping on task queues and endpoints named `<service>-<suffix>`
 * (so that it runs beside other systems on one server), in their namespaces.
 */
export function nexusWiringEnv(suffix: string): NodeJS.ProcessEnv {
  return Object.fromEntries<string>([
    ['SERVICE_WIRING', 'nexus'],
    ...nexusServices.flatMap((service): [string, string][] => [
      [`${service.toUpperCase()}_TASK_QUEUE`, `${service}-${suffix}`],
      [`${service.toUpperCase()}_NEXUS_ENDPOINT`, `${service}-${suffix}`],
    ]),
  ]);
}

export async function startTestSystem(
  options: {
    only?: readonly ServiceName[];
    app?: Partial<AppDeps>;
    /** Configuration for the system's services and API, over the test run's. */
    env?: NodeJS.ProcessEnv;
    /** @default 'task-queues' */
    wiring?: Wiring;
  } = {},
): Promise<TestSystem> {
  const { address, namespace, workflowBundlePath } = readTestEnv();
  if (!runtimeInstalled) {
    Runtime.install({ logger: serviceWorkerLogger });
    runtimeInstalled = true;
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-data-'));
  const storage = await createServiceDatabases();
  const processEnv = {
    ...process.env,
    ...storage.env,
    ...ownServiceNames(options.wiring ?? 'task-queues'),
    // Tests place orders by the hundred from one address; a test of the rate limits sets its own in `env`.
    API_RATE_LIMIT_STARTS: '0',
    API_RATE_LIMIT_READS: '0',
    // An API started as a process of its own verifies the same tokens as the one in this process.
    API_TOKEN_SECRET: testTokenSecret,
    OPERATOR_TOKEN: testOperatorToken,
    ...options.env,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    DATA_DIR: dataDir,
  };
  const config = loadConfig(processEnv);
  // Whatever started is stopped again, last first, when the test ends or when a later part fails to start.
  const started: (() => Promise<unknown>)[] = [() => rm(dataDir, { recursive: true, force: true }), storage.drop];
  const stop = async () => {
    for (const stopOne of started.splice(0).reverse()) await stopOne();
  };
  try {
    const encryption = await loadPayloadEncryption(config);
    const { dataConverter } = encryption;
    const nativeConnection = await NativeConnection.connect({ address });
    started.push(() => nativeConnection.close());
    const connection = await Connection.connect({ address });
    started.push(() => connection.close());
    const client = new Client({ connection, namespace, dataConverter });
    if (config.nexus) {
      const { nexus } = config;
      await ensureNexusEndpoints(connection, nexus, config.taskQueues);
      started.push(() => deleteNexusEndpoints(connection, nexus));
    }
    const app = createApp({
      client,
      webUiUrl: 'http://localhost:8233',
      tokens: testTokenSettings,
      operatorToken: testOperatorToken,
      taskQueues: config.taskQueues,
      nexusEndpoints: nexusEndpointsOf(config.nexus),
      logger: createLogger(process.env.LOG_LEVEL ?? 'silent'),
      rateLimits: config.api.rateLimits,
      trustProxy: config.api.trustProxy,
      ...options.app,
    });
    const databases = await openDatabases(config);
    started.push(() => closeDatabases(databases));
    const services = await startServices(
      { connection: nativeConnection, namespace, client, config, dataConverter },
      {
        workflows: { workflowBundle: { codePath: workflowBundlePath } },
        ...(options.only ? { only: options.only } : {}),
      },
    );
    started.push(services.shutdown);
    const http = await listen(app, { host: '127.0.0.1', port: 0 });
    started.push(http.close);
    return { apiUrl: http.url, client, config, encryption, processEnv, databases, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * What the services hold of an order, from their own databases: its row, its reservations, its charges, the refunds
 * of those charges, the refunds still to be refused (`tok_refund_fails_<N>`) and its shipments.
 */
export async function orderRows(system: Pick<TestSystem, 'databases'>, orderId: string) {
  const { orders, inventory, payments, shipping } = system.databases;
  const charges = await payments.selectFrom('charges').selectAll().where('order_id', '=', orderId).execute();
  const chargeIds = charges.map((charge) => charge.charge_id);
  const chargeKeys = charges.map((charge) => charge.step_key);
  return {
    order: await orders.selectFrom('orders').selectAll().where('order_id', '=', orderId).executeTakeFirst(),
    reservations: await inventory.selectFrom('reservations').selectAll().where('order_id', '=', orderId).execute(),
    charges,
    refunds: chargeIds.length
      ? await payments.selectFrom('refunds').selectAll().where('charge_id', 'in', chargeIds).execute()
      : [],
    refusalsLeft: chargeKeys.length
      ? await payments.selectFrom('refund_refusals').select('remaining').where('charge_key', 'in', chargeKeys).execute()
      : [],
    shipments: await shipping.selectFrom('shipments').selectAll().where('order_id', '=', orderId).execute(),
  };
}
