/**
 * The order system as the benchmarks run it: an embedded dev server, the services (all, or some: shipping down),
 * the API on a free port, and a fixed-rate load of orders through it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import autocannon from 'autocannon';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import { listen } from '../api/server';
import { loadPayloadEncryption } from '../codec/data-converter';
import { formatPayloadKey, generatePayloadKey } from '../codec/payload-keys';
import type { PlaceOrderRequest } from '../api/orders/schema';
import type { Config } from '../config';
import { loadConfig, nexusEndpointsOf } from '../config';
import { orderRequest } from '../test/fixtures/orders';
import { customerToken, testTokenSettings } from '../test/tokens';
import type { DevServer } from '../workers/dev-server';
import { startDevServer } from '../workers/dev-server';
import { withoutWorkflowStackTraces } from '../workers/saga';
import type { RunningServices } from '../workers/service-workers';
import { nexusServices, startServices } from '../workers/service-workers';
import { ensureNexusEndpoints } from '../workers/nexus-endpoints';
import type { PaymentsSchema } from '../activities/payments/schema';
import { paymentsMigrations } from '../activities/payments/schema';
import type { ServiceName } from '../workers/service-worker';
import { openServiceDatabase } from '../workers/service-worker';

export interface OrderSystem {
  server: DevServer;
  client: Client;
  /** For more workers of the benchmark's own, with the system's data converter. */
  nativeConnection: NativeConnection;
  dataConverter: DataConverter;
  config: Config;
  /** What a process of the system needs in its environment: the server, the data folder, the payload keys. */
  env: NodeJS.ProcessEnv;
  apiUrl: string;
  /** Starts more services in this process (shipping, back). */
  startServices(only: readonly ServiceName[]): Promise<RunningServices>;
  stop(): Promise<void>;
}

/**
 * Starts the server, `services` in this process (all by default), and the API. With `SERVICE_WIRING=nexus` in `env`,
 * inventory, payments and shipping run in namespaces of their own, reached through endpoints made here.
 */
export async function startOrderSystem(
  options: { services?: readonly ServiceName[]; env?: NodeJS.ProcessEnv } = {},
): Promise<OrderSystem> {
  const server = await startDevServer({ namespaces: [...nexusServices] });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-bench-'));
  // A process of the system decrypts what the others encrypted: one key for all, made for this run.
  const env = {
    ...process.env,
    PAYLOAD_KEYS: process.env.PAYLOAD_KEYS || formatPayloadKey(generatePayloadKey('bench')),
    ...options.env,
    TEMPORAL_ADDRESS: server.address,
    DATA_DIR: dataDir,
  };
  const config = loadConfig(env);
  // Every worker of the run (the benchmarks' own bare ones too) as the services run theirs.
  if (!config.workflowStackTraces) withoutWorkflowStackTraces();
  const { dataConverter } = await loadPayloadEncryption(config);
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  if (config.nexus) await ensureNexusEndpoints(connection, config.nexus, config.taskQueues);
  const deps = { connection: nativeConnection, namespace: 'default', client, config, dataConverter };
  const running: RunningServices[] = [];
  const start = async (only: readonly ServiceName[]) => {
    const services = await startServices(deps, { only });
    running.push(services);
    return services;
  };
  if (options.services?.length !== 0) await start(options.services ?? ['orders', 'inventory', 'payments', 'shipping']);
  // Every POST carries its customer's token, which the API verifies: part of what an order costs it.
  const app = createApp({
    client,
    tokens: testTokenSettings,
    logger: createLogger('silent'),
    nexusEndpoints: nexusEndpointsOf(config.nexus),
  });
  const http = await listen(app, { host: '127.0.0.1', port: 0 });
  return {
    server,
    client,
    nativeConnection,
    dataConverter,
    config,
    env,
    apiUrl: http.url,
    startServices: start,
    stop: async () => {
      await http.close();
      for (const services of running) await services.shutdown();
      await connection.close();
      await nativeConnection.close();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Places `amount` orders of one customer through the API at `rate` per second (as fast as they go without one);
 * `onResponse` sees each answer's status and latency. Rejects if any request fails.
 */
export async function placeOrders(
  apiUrl: string,
  customerId: string,
  options: {
    amount: number;
    rate?: number;
    /** What each order buys: the test fixture's two lines by default. */
    items?: PlaceOrderRequest['items'];
    onResponse?: (status: number, ms: number) => void;
  },
): Promise<void> {
  const token = await customerToken(customerId);
  const { amount, rate } = options;
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${apiUrl}/orders`,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(orderRequest({ customerId, ...(options.items ? { items: options.items } : {}) })),
        ...(rate ? { overallRate: rate } : {}),
        amount,
        connections: Math.max(10, rate ?? 0),
      },
      (error, result) => {
        const failed = result ? result.non2xx + result.errors + result.timeouts : 0;
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else if (failed > 0) reject(new Error(`${failed} of ${amount} orders failed`));
        else resolve();
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => options.onResponse?.(status, ms));
  });
}

/**
 * Waits until payments has charged `amount` orders (every charge in the run's own database): each such order's saga
 * is past its charge, at the shipment once shipping is down. Visibility says so only once a saga has run a minute
 * (it publishes its step then), which a benchmark need not wait for. Throws as soon as a workflow matches `ended`
 * (orders that ended another way), rather than wait for ever.
 */
export async function waitForCharges(system: OrderSystem, amount: number, label: string, ended: string): Promise<void> {
  const { db } = await openServiceDatabase<PaymentsSchema>('payments', system.config, paymentsMigrations);
  try {
    const charged = async () =>
      Number(
        (
          await db
            .selectFrom('charges')
            .select((eb) => eb.fn.countAll().as('count'))
            .executeTakeFirstOrThrow()
        ).count,
      );
    for (let count = 0; count < amount; count = await charged()) {
      process.stderr.write(`\r${label}: ${count}/${amount}   `);
      const strays = (await system.client.workflow.count(ended)).count;
      if (strays > 0) throw new Error(`${label}: ${strays} matched ${ended} (${count}/${amount} charged)`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    process.stderr.write(`\r${label}: ${amount}/${amount}\n`);
  } finally {
    await db.destroy();
  }
}

/** Waits until `count(query)` reaches `amount`, writing `label` with the count on stderr. */
export async function waitForCount(client: Client, query: string, amount: number, label: string): Promise<void> {
  for (let count = 0; count < amount; count = (await client.workflow.count(query)).count) {
    process.stderr.write(`\r${label}: ${count}/${amount}   `);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.stderr.write(`\r${label}: ${amount}/${amount}\n`);
}
