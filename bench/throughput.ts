/**
 * throughput: completed orders per second, end to end through the API, at rising fixed rates, with the API's p99
 * at each; against the ceiling of a bare worker running what an order runs (bare-order.ts: two workflows, eleven
 * no-op activities, one completed by task token), on the same server, in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import autocannon from 'autocannon';
import { createApp } from '../api/app';
import { createLogger } from '../api/request-log';
import { listen } from '../api/server';
import { loadConfig } from '../config';
import { orderRequest } from '../test/fixtures/orders';
import { customerToken, testTokenSettings } from '../test/tokens';
import { startDevServer } from '../workers/dev-server';
import { startServices } from '../workers/service-workers';
import type { BareActivities } from './bare-order';
import { bareOrderShape } from './bare-order';
import { horizontalLine } from './plot';
import type { BenchmarkResult } from './report';
import { benchDataConverter, installQuietRuntime, percentile } from './report';

/** Activities one completed order runs: 8 in the saga, 3 in its shipment workflow. */
const activitiesPerOrder = bareOrderShape.before + 1 + bareOrderShape.after + bareOrderShape.inShipment;
/** The API's answer must stay within this at a rate for the rate to count as held. */
const p99TargetMs = 1000;

export async function throughput({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  installQuietRuntime();
  const rates = quick ? [5] : [5, 10, 20, 30];
  const seconds = quick ? 3 : 15;
  const bareOrders = quick ? 20 : 300;
  const server = await startDevServer();
  const dataConverter = await benchDataConverter();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  const rows: BenchmarkResult['rows'] = [];
  let ceiling: number;
  try {
    // The ceiling: a bare worker running an order's shape, as many orders in flight as it takes.
    const taskQueue = `bench-bare-${randomUUID()}`;
    const activities: BareActivities = {
      noop: async () => undefined,
      requestShipment: async () => {
        const { taskToken } = Context.current().info;
        await client.workflow.start('bareShipment', {
          taskQueue,
          workflowId: `bare-shipment-${randomUUID()}`,
          args: [Buffer.from(taskToken).toString('base64')],
        });
        throw new CompleteAsyncError();
      },
      completeRequest: (taskToken) => client.activity.complete(Buffer.from(taskToken, 'base64'), undefined),
    };
    const worker = await Worker.create({
      connection: nativeConnection,
      dataConverter,
      taskQueue,
      workflowsPath: require.resolve('./bare-order'),
      activities,
    });
    ceiling = await worker.runUntil(async () => {
      const began = performance.now();
      await Promise.all(
        Array.from({ length: bareOrders }, () =>
          client.workflow.execute('bareOrder', { taskQueue, workflowId: `bare-${randomUUID()}` }),
        ),
      );
      return bareOrders / ((performance.now() - began) / 1000);
    });
    rows.push({
      system: `bare worker, an order's shape`,
      rate: 'as fast as it goes',
      apiP99Ms: '—',
      completedPerSecond: ceiling,
      ofCeiling: '100 %',
    });

    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-throughput-'));
    const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: server.address, DATA_DIR: dataDir });
    const services = await startServices({
      connection: nativeConnection,
      namespace: 'default',
      client,
      config,
      dataConverter,
    });
    // Every POST carries its customer's token, which the API verifies: part of what an order costs it.
    const app = createApp({ client, tokens: testTokenSettings, logger: createLogger('silent') });
    const http = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      for (const rate of rates) {
        process.stderr.write(`throughput: ${rate} orders/s for ${seconds} s…\n`);
        const customerId = `bench-${randomUUID()}`;
        const token = await customerToken(customerId);
        const amount = rate * seconds;
        const latencies: number[] = [];
        const began = performance.now();
        await new Promise<void>((resolve, reject) => {
          const instance = autocannon(
            {
              url: `${http.url}/orders`,
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify(orderRequest({ customerId })),
              overallRate: rate,
              amount,
              connections: Math.max(10, rate),
            },
            (error) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve()),
          );
          instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
        });
        const query = `CustomerId = '${customerId}' AND SagaStatus = 'completed'`;
        while ((await client.workflow.count(query)).count < amount)
          await new Promise((resolve) => setTimeout(resolve, 200));
        const completedPerSecond = amount / ((performance.now() - began) / 1000);
        rows.push({
          system: 'orders through the API',
          rate,
          apiP99Ms: percentile(latencies, 99),
          completedPerSecond,
          ofCeiling: `${((completedPerSecond / ceiling) * 100).toFixed(0)} %`,
        });
      }
    } finally {
      await http.close();
      await services.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }
  const held = rows.filter((row) => row.system === 'orders through the API' && Number(row.apiP99Ms) <= p99TargetMs);
  const best = held.at(-1);
  return {
    name: 'throughput',
    parameters: { rates, secondsPerRate: seconds, activitiesPerOrder, p99TargetMs, quick },
    rows,
    plot: {
      title: `Orders end to end (${activitiesPerOrder} activities each), ${seconds} s per offered rate`,
      hconcat: [
        {
          layer: [
            {
              data: { values: rows.filter((row) => typeof row.rate === 'number') },
              mark: { type: 'line', point: true },
              encoding: {
                x: { field: 'rate', type: 'quantitative', title: 'offered (orders/s)', axis: { format: '~g' } },
                y: { field: 'completedPerSecond', type: 'quantitative', title: 'completed (orders/s)' },
              },
            },
            ...horizontalLine(ceiling, `bare worker ceiling ${ceiling.toFixed(1)}/s`),
          ],
          width: 300,
          height: 220,
        },
        {
          layer: [
            {
              data: { values: rows.filter((row) => typeof row.rate === 'number') },
              mark: { type: 'line', point: true, color: '#e45756' },
              encoding: {
                x: { field: 'rate', type: 'quantitative', title: 'offered (orders/s)', axis: { format: '~g' } },
                y: { field: 'apiP99Ms', type: 'quantitative', title: 'POST /orders p99 (ms)' },
              },
            },
            ...horizontalLine(p99TargetMs, `p99 target ${p99TargetMs} ms`),
          ],
          width: 300,
          height: 220,
        },
      ],
    },
    verdicts: [
      {
        claim: `a rate held with the API's p99 ≤ ${p99TargetMs} ms`,
        measured: best
          ? `${best.rate}/s offered, ${Number(best.completedPerSecond).toFixed(1)} orders/s completed (${best.ofCeiling} of the ceiling)`
          : 'none',
        holds: best !== undefined,
      },
    ],
  };
}
