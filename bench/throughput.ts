/**
 * throughput: completed orders per second, end to end through the API, at rising fixed rates, with the API's p99
 * at each; against the ceiling of a bare worker running what an order runs (bare-order.ts: two workflows, ten
 * no-op activities, one completed by task token), on the same server, in the same run: before the orders and
 * after them, the ceiling being the mean of the two.
 */
import { randomUUID } from 'node:crypto';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { allServices } from '../workers/service-workers';
import type { BareActivities } from './bare-order';
import { bareOrderShape } from './bare-order';
import type { OrderSystem } from './order-system';
import { placeOrders, startOrderSystem, waitForCount } from './order-system';
import { horizontalLine } from './plot';
import type { BenchmarkResult } from './report';
import { installQuietRuntime, percentile } from './report';

/** Activities one completed order runs: 8 in the saga, 2 in its shipment workflow. */
const activitiesPerOrder = bareOrderShape.before + 1 + bareOrderShape.after + bareOrderShape.inShipment;
/** The API's answer must stay within this at a rate for the rate to count as held. */
const p99TargetMs = 1000;

/** Orders per second a bare worker completes, running `orders` of an order's shape at once (bare-order.ts). */
async function bareCeiling(system: OrderSystem, orders: number): Promise<number> {
  const { client } = system;
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
    connection: system.nativeConnection,
    dataConverter: system.dataConverter,
    taskQueue,
    workflowsPath: require.resolve('./bare-order'),
    activities,
  });
  return worker.runUntil(async () => {
    const began = performance.now();
    await Promise.all(
      Array.from({ length: orders }, () =>
        client.workflow.execute('bareOrder', { taskQueue, workflowId: `bare-${randomUUID()}` }),
      ),
    );
    return orders / ((performance.now() - began) / 1000);
  });
}

export async function throughput({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  installQuietRuntime();
  const rates = quick ? [5] : [5, 10, 20, 30];
  const seconds = quick ? 3 : 15;
  const bareOrders = quick ? 20 : 300;
  const orderRows: { system: string; rate: number; apiP99Ms: number; completedPerSecond: number }[] = [];
  // The bare worker first, alone on the server; then the order system's services; then the bare worker again, on
  // the server the orders left (its history and visibility tables fuller): the ceiling is the mean of the two.
  const system = await startOrderSystem({ services: [] });
  let before: number;
  let after: number;
  try {
    before = await bareCeiling(system, bareOrders);
    await system.startServices(allServices);
    for (const rate of rates) {
      process.stderr.write(`throughput: ${rate} orders/s for ${seconds} s…\n`);
      const customerId = `bench-${randomUUID()}`;
      const amount = rate * seconds;
      const latencies: number[] = [];
      const began = performance.now();
      await placeOrders(system.apiUrl, customerId, { amount, rate, onResponse: (_status, ms) => latencies.push(ms) });
      const completed = `CustomerId = '${customerId}' AND SagaStatus = 'completed'`;
      await waitForCount(system.client, completed, amount, 'throughput: completed');
      const completedPerSecond = amount / ((performance.now() - began) / 1000);
      orderRows.push({
        system: 'orders through the API',
        rate,
        apiP99Ms: percentile(latencies, 99),
        completedPerSecond,
      });
    }
    process.stderr.write('throughput: the bare worker again…\n');
    after = await bareCeiling(system, bareOrders);
  } finally {
    await system.stop();
  }
  const ceiling = (before + after) / 2;
  const bare = (when: string, completedPerSecond: number) => ({
    system: `bare worker, an order's shape, ${when}`,
    rate: 'as fast as it goes',
    apiP99Ms: '—',
    completedPerSecond,
    ofCeiling: `${((completedPerSecond / ceiling) * 100).toFixed(0)} %`,
  });
  const rows: BenchmarkResult['rows'] = [
    bare('before the orders', before),
    bare('after them', after),
    ...orderRows.map((row) => ({
      ...row,
      ofCeiling: `${((row.completedPerSecond / ceiling) * 100).toFixed(0)} %`,
    })),
  ];
  const held = rows.filter((row) => row.system === 'orders through the API' && Number(row.apiP99Ms) <= p99TargetMs);
  const best = held.at(-1);
  return {
    name: 'throughput',
    parameters: { rates, secondsPerRate: seconds, activitiesPerOrder, p99TargetMs, ceiling, quick },
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
            ...horizontalLine(ceiling, `bare worker ceiling ${ceiling.toFixed(1)}/s (mean)`),
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
