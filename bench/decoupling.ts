/**
 * decoupling: the same order placement through a synchronous chain of services (bench/sync-chain) and through
 * this system's API, under one fixed-rate load, with shipping healthy, answering 5 s late, and down. The chain
 * waits on shipping, so its latency grows by the delay and it fails when shipping is down; this system's API
 * answers once the saga is started, whatever shipping does, and the orders complete once shipping is back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import { listen } from '../api/server';
import { loadConfig } from '../config';
import { orderRequest } from '../test/fixtures/orders';
import { customerToken, testTokenSettings } from '../test/tokens';
import { startDevServer } from '../workers/dev-server';
import type { RunningServices } from '../workers/service-workers';
import { startServices } from '../workers/service-workers';
import type { BenchmarkResult } from './report';
import { benchDataConverter, installQuietRuntime, percentile } from './report';
import { startSyncChain } from './sync-chain/services';

const shippingDelayMs = 5000;
const conditions = [
  { name: 'shipping healthy', delayMs: 0, down: false },
  { name: 'shipping 5 s late', delayMs: shippingDelayMs, down: false },
  { name: 'shipping down', delayMs: 0, down: true },
] as const;

interface LoadResult {
  latencies: number[];
  failed: number;
}

/**
 * A fixed-rate load: `amount` POSTs at `rate` per second, each one's latency recorded; with `token`, each sends it
 * as its bearer token (this system's API verifies it on every request; the sync chain asks for none).
 */
function load(url: string, body: unknown, rate: number, amount: number, token?: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let failed = 0;
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
        overallRate: rate,
        amount,
        connections: Math.max(10, rate * (shippingDelayMs / 1000 + 2)),
        timeout: 30,
      },
      (error, result) =>
        error
          ? reject(error instanceof Error ? error : new Error(String(error)))
          : resolve({ latencies, failed: failed + result.errors + result.timeouts }),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      if (statusCode >= 400) failed += 1;
    });
  });
}

function figures(result: LoadResult, amount: number) {
  return {
    p50Ms: percentile(result.latencies, 50),
    p95Ms: percentile(result.latencies, 95),
    p99Ms: percentile(result.latencies, 99),
    errorRate: `${((result.failed / amount) * 100).toFixed(1)} %`,
  };
}

export async function decoupling({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  const rate = quick ? 5 : 20;
  const amount = quick ? 15 : 300;
  const rows: BenchmarkResult['rows'] = [];
  const p99: Record<string, number> = {};
  let errorsOfThisSystem = 0;
  let incomplete = 0;

  for (const condition of conditions) {
    process.stderr.write(`decoupling: sync chain, ${condition.name}…\n`);
    const chain = await startSyncChain({ shippingDelayMs: condition.delayMs, shippingDown: condition.down });
    try {
      const result = await load(`${chain.ordersUrl}/orders`, orderRequest(), rate, amount);
      rows.push({
        system: 'sync chain',
        condition: condition.name,
        ...figures(result, amount),
        allCompletedAfterS: '—',
      });
    } finally {
      await chain.stop();
    }
  }

  installQuietRuntime();
  const server = await startDevServer();
  const dataConverter = await benchDataConverter();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  try {
    for (const condition of conditions) {
      process.stderr.write(`decoupling: this system, ${condition.name}…\n`);
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-bench-'));
      const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: server.address, DATA_DIR: dataDir });
      const deps = { connection: nativeConnection, namespace: 'default', client, config, dataConverter };
      const running: RunningServices[] = [
        await startServices(deps, {
          only: condition.down ? ['orders', 'inventory', 'payments'] : ['orders', 'inventory', 'payments', 'shipping'],
          shippingDispatchDelayMs: condition.delayMs,
        }),
      ];
      const app = createApp({ client, tokens: testTokenSettings, logger: createLogger('silent') });
      const http = await listen(app, { host: '127.0.0.1', port: 0 });
      try {
        const customerId = `bench-${randomUUID()}`;
        const token = await customerToken(customerId);
        const result = await load(`${http.url}/orders`, orderRequest({ customerId }), rate, amount, token);
        const shown = figures(result, amount);
        p99[condition.name] = shown.p99Ms;
        errorsOfThisSystem += result.failed;
        const back = Date.now();
        if (condition.down) running.push(await startServices(deps, { only: ['shipping'] }));
        const query = `CustomerId = '${customerId}' AND SagaStatus = 'completed'`;
        const deadline = Date.now() + 300_000;
        while ((await client.workflow.count(query)).count < amount && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        const completed = (await client.workflow.count(query)).count;
        incomplete += amount - completed;
        rows.push({
          system: 'this system',
          condition: condition.name,
          ...shown,
          allCompletedAfterS:
            completed === amount ? Number(((Date.now() - back) / 1000).toFixed(1)) : `${completed}/${amount}`,
        });
      } finally {
        await http.close();
        for (const services of running) await services.shutdown();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }

  const healthy = p99['shipping healthy']!;
  return {
    name: 'decoupling',
    parameters: { ratePerSecond: rate, requests: amount, shippingDelayMs, quick },
    rows,
    plot: {
      title: {
        text: `POST /orders p99 latency, ${amount} requests at ${rate}/s`,
        subtitle: 'label over each bar: error rate',
      },
      data: { values: rows },
      encoding: {
        x: {
          field: 'condition',
          type: 'nominal',
          sort: conditions.map((condition) => condition.name),
          title: null,
          axis: { labelAngle: 0 },
        },
        xOffset: { field: 'system', type: 'nominal' },
        y: { field: 'p99Ms', type: 'quantitative', title: 'p99 latency (ms)' },
        color: { field: 'system', type: 'nominal', title: null, legend: { orient: 'top' } },
      },
      layer: [
        { mark: { type: 'bar', width: { band: 0.45 } } },
        { mark: { type: 'text', dy: -6, fontSize: 10 }, encoding: { text: { field: 'errorRate' } } },
      ],
      width: 420,
      height: 260,
    },
    verdicts: [
      {
        claim: "this system's p99 with shipping late or down ≤ 1.2 × its p99 with shipping healthy",
        measured: `${(p99['shipping 5 s late']! / healthy).toFixed(2)}× late, ${(p99['shipping down']! / healthy).toFixed(2)}× down`,
        holds: Math.max(p99['shipping 5 s late']!, p99['shipping down']!) <= 1.2 * healthy,
      },
      {
        claim: 'this system answers every request',
        measured: `${errorsOfThisSystem} errors`,
        holds: errorsOfThisSystem === 0,
      },
      {
        claim: 'every order completes once shipping is back',
        measured: `${incomplete} incomplete`,
        holds: incomplete === 0,
      },
    ],
  };
}
