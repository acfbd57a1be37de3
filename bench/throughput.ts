/**
 * throughput: completed orders per second, end to end through the API, at rising fixed rates, with the API's p99
 * at each; against the ceiling of a bare worker running what an order runs (bare-order.ts: two workflows, ten
 * no-op activities, one completed by task token), on the same server, in the same run: before the orders and
 * after them, the ceiling being the mean of the two. For each, the CPU spent per completed order, by the server
 * and by this process's threads (workers, API, load): where an order's cost above the bare shape goes. Both
 * wirings, each on a server of its own with its own ceiling: the services on task queues, and inventory, payments
 * and shipping in namespaces of their own, reached over Nexus.
 */
import { randomUUID } from 'node:crypto';
import { CompleteAsyncError, Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { allServices } from '../workers/service-workers';
import { measureThreadCpu, serverPid } from './attribution';
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
/** The share of the bare ceiling that orders through the API should reach. */
const ofCeilingTarget = 0.8;

/** A phase of the benchmark: orders completed per second, and CPU ms per completed order where it went. */
interface Phase {
  completedPerSecond: number;
  serverCpuMs: number;
  mainThreadCpuMs: number;
  workflowThreadsCpuMs: number;
  sdkCoreCpuMs: number;
}

/** CPU ms per completed order while `work` completes `orders`: the server's, and this process's by thread group. */
async function cpuPerOrder(system: OrderSystem, orders: number, work: () => Promise<number>): Promise<Phase> {
  const measured = await measureThreadCpu(serverPid(system.server.address), work);
  const perOrder = (ms: number) => Math.round(ms / orders);
  const thread = (prefix: string) =>
    perOrder(
      Object.entries(measured.threads)
        .filter(([group]) => group.startsWith(prefix))
        .reduce((sum, [, ms]) => sum + ms, 0),
    );
  return {
    completedPerSecond: measured.result,
    serverCpuMs: perOrder(measured.serverMs),
    mainThreadCpuMs: thread('main'),
    workflowThreadsCpuMs: thread('other'),
    sdkCoreCpuMs: thread('SDK'),
  };
}

/**
 * Orders per second a bare worker completes, running `orders` of an order's shape at once (bare-order.ts), and the
 * CPU they take (from the first start to the last end: the worker's creation and bundling left out).
 */
async function bareCeiling(system: OrderSystem, orders: number): Promise<Phase> {
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
  return worker.runUntil(() =>
    cpuPerOrder(system, orders, async () => {
      const began = performance.now();
      await Promise.all(
        Array.from({ length: orders }, () =>
          client.workflow.execute('bareOrder', { taskQueue, workflowId: `bare-${randomUUID()}` }),
        ),
      );
      return orders / ((performance.now() - began) / 1000);
    }),
  );
}

/** How the order saga reaches inventory, payments and shipping (docs/nexus-wiring.md). */
const wirings = ['task queues', 'Nexus'] as const;
type Wiring = (typeof wirings)[number];

interface WiringRun {
  before: Phase;
  after: Phase;
  orderRows: ({ system: string; wiring: Wiring; rate: number; apiP99Ms: number } & Phase)[];
}

/**
 * One wiring on a server of its own: the bare worker alone on the server; then the order system's services at each
 * rate; then the bare worker again, on the server the orders left (its history and visibility tables fuller): the
 * wiring's ceiling is the mean of the two.
 */
async function runWiring(
  wiring: Wiring,
  { rates, seconds, bareOrders }: { rates: number[]; seconds: number; bareOrders: number },
): Promise<WiringRun> {
  const system = await startOrderSystem({
    services: [],
    env: wiring === 'Nexus' ? { SERVICE_WIRING: 'nexus' } : {},
  });
  try {
    const before = await bareCeiling(system, bareOrders);
    await system.startServices(allServices);
    const orderRows: WiringRun['orderRows'] = [];
    for (const rate of rates) {
      process.stderr.write(`throughput, ${wiring}: ${rate} orders/s for ${seconds} s…\n`);
      const customerId = `bench-${randomUUID()}`;
      const amount = rate * seconds;
      const latencies: number[] = [];
      const measured = await cpuPerOrder(system, amount, async () => {
        const began = performance.now();
        await placeOrders(system.apiUrl, customerId, {
          amount,
          rate,
          onResponse: (_status, ms) => latencies.push(ms),
        });
        const completed = `CustomerId = '${customerId}' AND SagaStatus = 'completed'`;
        await waitForCount(system.client, completed, amount, 'throughput: completed');
        return amount / ((performance.now() - began) / 1000);
      });
      const row = { system: 'orders through the API', wiring, rate, apiP99Ms: percentile(latencies, 99) };
      orderRows.push({ ...row, ...measured });
    }
    process.stderr.write(`throughput, ${wiring}: the bare worker again…\n`);
    const after = await bareCeiling(system, bareOrders);
    return { before, after, orderRows };
  } finally {
    await system.stop();
  }
}

export async function throughput({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  installQuietRuntime();
  const rates = quick ? [5] : [5, 10, 20, 30];
  const seconds = quick ? 3 : 15;
  const bareOrders = quick ? 20 : 300;
  const runs = {} as Record<Wiring, WiringRun>;
  for (const wiring of wirings) runs[wiring] = await runWiring(wiring, { rates, seconds, bareOrders });
  const ceilingOf = ({ before, after }: WiringRun) => (before.completedPerSecond + after.completedPerSecond) / 2;
  const ofCeiling = (completedPerSecond: number, wiring: Wiring) =>
    `${((completedPerSecond / ceilingOf(runs[wiring])) * 100).toFixed(0)} %`;
  const ceiling = ceilingOf(runs['task queues']);
  const rows: BenchmarkResult['rows'] = wirings.flatMap((wiring) => {
    const bare = (when: string, measured: Phase) => ({
      system: `bare worker, an order's shape, ${when}`,
      wiring,
      rate: 'as fast as it goes',
      apiP99Ms: '—',
      ...measured,
      ofCeiling: ofCeiling(measured.completedPerSecond, wiring),
    });
    return [
      bare('before the orders', runs[wiring].before),
      bare('after them', runs[wiring].after),
      ...runs[wiring].orderRows.map((row) => ({ ...row, ofCeiling: ofCeiling(row.completedPerSecond, wiring) })),
    ];
  });
  // Each wiring's throughput: the most orders a second it completed at a rate it held.
  const bestOf = (wiring: Wiring) =>
    rows
      .filter(
        (row) =>
          row.wiring === wiring && row.system === 'orders through the API' && Number(row.apiP99Ms) <= p99TargetMs,
      )
      .reduce<BenchmarkResult['rows'][number] | undefined>(
        (most, row) => (most && Number(most.completedPerSecond) >= Number(row.completedPerSecond) ? most : row),
        undefined,
      );
  const best = bestOf('task queues');
  const bestOverNexus = bestOf('Nexus');
  return {
    name: 'throughput',
    parameters: {
      rates,
      secondsPerRate: seconds,
      activitiesPerOrder,
      p99TargetMs,
      ceiling,
      nexusCeiling: ceilingOf(runs.Nexus),
      // The Nexus wiring's throughput, of the task-queue wiring's, each at the best rate it held.
      nexusOfTaskQueues:
        best && bestOverNexus
          ? Number((Number(bestOverNexus.completedPerSecond) / Number(best.completedPerSecond)).toFixed(2))
          : null,
      quick,
    },
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
                color: { field: 'wiring', type: 'nominal', legend: { orient: 'top' } },
                x: { field: 'rate', type: 'quantitative', title: 'offered (orders/s)', axis: { format: '~g' } },
                y: { field: 'completedPerSecond', type: 'quantitative', title: 'completed (orders/s)' },
              },
            },
            ...horizontalLine(ceiling, `bare worker ceiling ${ceiling.toFixed(1)}/s (mean, task-queue run)`),
          ],
          width: 300,
          height: 220,
        },
        {
          layer: [
            {
              data: { values: rows.filter((row) => typeof row.rate === 'number') },
              mark: { type: 'line', point: true },
              encoding: {
                color: { field: 'wiring', type: 'nominal', legend: { orient: 'top' } },
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
        claim: `task queues: a rate held with the API's p99 ≤ ${p99TargetMs} ms`,
        measured: best
          ? `${best.rate}/s offered, ${Number(best.completedPerSecond).toFixed(1)} orders/s completed (${best.ofCeiling} of the ceiling)`
          : 'none',
        holds: best !== undefined,
      },
      {
        claim: `task queues: orders/s ≥ ${ofCeilingTarget * 100} % of the bare ceiling (${ceiling.toFixed(1)}/s, the mean of two)`,
        measured: best ? `${best.ofCeiling}` : 'none',
        holds: best !== undefined && Number(best.completedPerSecond) >= ofCeilingTarget * ceiling,
      },
      {
        claim: `Nexus: a rate held with the API's p99 ≤ ${p99TargetMs} ms`,
        measured: bestOverNexus
          ? `${bestOverNexus.rate}/s offered, ${Number(bestOverNexus.completedPerSecond).toFixed(1)} orders/s completed (${bestOverNexus.ofCeiling} of its server's bare ceiling)`
          : 'none',
        holds: bestOverNexus !== undefined,
      },
    ],
  };
}
