/**
 * backlog: shipping is down while orders keep coming. `orders` orders are placed through the API at a fixed rate;
 * each runs up to its shipment and waits there. The API's p99 is measured over every tenth of the requests, and
 * the orders worker (a process of its own, as in production) has its memory sampled throughout. Then shipping
 * comes back, and the benchmark times how long the backlog takes to drain, until every order has completed.
 * `BACKLOG_ORDERS` sets another size than the full 10,000 (for a quicker look at a change).
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startServiceProcess, stopProcess } from '../test/processes';
import { placeOrders, startOrderSystem, waitForCharges } from './order-system';
import { horizontalLine } from './plot';
import type { BenchmarkResult } from './report';
import { installQuietRuntime, percentile } from './report';

/** The API's answer must stay within this, in every tenth of the load. */
const p99TargetMs = 1000;

/** A process's resident memory, in MiB, from /proc. */
function residentMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return undefined; // the process has just exited
  }
}

export async function backlog({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  installQuietRuntime();
  const orders = quick ? 100 : Number(process.env.BACKLOG_ORDERS ?? 10_000);
  const rate = quick ? 25 : 50;
  // The orders worker runs as a process of its own, as in production, so that its memory is its own.
  const system = await startOrderSystem({ services: ['inventory', 'payments'] });
  // What bounds the orders worker's memory: WORKFLOW_CACHE_SIZE, as the orders process reads it from the same env.
  const { workflowCacheSize } = system.config;
  const began = performance.now();
  const seconds = () => (performance.now() - began) / 1000;
  const memory: { seconds: number; rssMiB: number }[] = [];
  const progress: { seconds: number; completed: number }[] = [];
  const windows: { requests: string; p99Ms: number }[] = [];
  let backlogBuiltS = 0;
  let drainS: number;
  let completed = 0;
  try {
    const ordersWorker = await startServiceProcess('orders', system.env);
    const pid = ordersWorker.child.pid!;
    let died: string | undefined;
    void ordersWorker.exited.then(
      (code) => (died = `the orders worker exited (${code}):\n${ordersWorker.output().slice(-4000)}`),
    );
    const sampling = setInterval(() => {
      const rssMiB = died ? undefined : residentMiB(pid);
      if (rssMiB !== undefined) memory.push({ seconds: seconds(), rssMiB });
    }, 1000);
    const customerId = `bench-${randomUUID()}`;
    const query = `CustomerId = '${customerId}'`;
    try {
      process.stderr.write(`backlog: ${orders} orders at ${rate}/s, shipping down…\n`);
      const latencies: number[] = [];
      await placeOrders(system.apiUrl, customerId, {
        amount: orders,
        rate,
        // The demo catalog stocks 10,000 of each SKU: one unit an order, or the later orders run out of stock.
        items: [{ sku: 'SKU-3', quantity: 1 }],
        onResponse: (_status, ms) => {
          latencies.push(ms);
          if (latencies.length % Math.max(1, Math.floor(orders / 20)) === 0) {
            process.stderr.write(`\rbacklog: ${latencies.length}/${orders} placed (${seconds().toFixed(0)} s)   `);
          }
        },
      });
      const tenth = Math.ceil(orders / 10);
      for (let from = 0; from < latencies.length; from += tenth) {
        const to = Math.min(latencies.length, from + tenth);
        windows.push({
          requests: `${from + 1}–${to}`,
          p99Ms: Math.round(percentile(latencies.slice(from, to), 99)),
        });
      }
      process.stderr.write('\n');
      const ended = `${query} AND ExecutionStatus != 'Running'`;
      await waitForCharges(system, orders, 'backlog: charged, waiting on shipping', ended);
      backlogBuiltS = seconds();
      process.stderr.write(`backlog: shipping is back…\n`);
      await system.startServices(['shipping']);
      const done = `${query} AND SagaStatus = 'completed'`;
      while (completed < orders) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        if (died) throw new Error(died);
        completed = (await system.client.workflow.count(done)).count;
        progress.push({ seconds: seconds() - backlogBuiltS, completed });
        process.stderr.write(`\rbacklog: ${completed}/${orders} completed (${seconds().toFixed(0)} s)   `);
        // Five minutes without progress (samples every 2 s): the rest will not complete; the verdict says so. A
        // large backlog drains in bursts, with a minute or more between them.
        if (progress.length > 150 && progress.at(-151)!.completed === completed) break;
      }
      drainS = seconds() - backlogBuiltS;
      process.stderr.write('\n');
    } finally {
      clearInterval(sampling);
      await stopProcess(ordersWorker, 'SIGTERM');
    }
  } finally {
    await system.stop();
  }

  const worstP99 = Math.max(...windows.map((window) => window.p99Ms));
  const peakMiB = Math.max(...memory.map((sample) => sample.rssMiB));
  const atBacklogMiB = memory.filter((sample) => sample.seconds <= backlogBuiltS).at(-1)?.rssMiB ?? NaN;
  return {
    name: 'backlog',
    parameters: { orders, ratePerSecond: rate, p99TargetMs, workflowCacheSize, quick },
    rows: [
      { figure: 'API p99, worst tenth of the requests', value: `${worstP99} ms` },
      { figure: 'backlog built (every order waiting on shipping)', value: `${backlogBuiltS.toFixed(0)} s` },
      { figure: 'orders worker RSS with the backlog built', value: `${atBacklogMiB.toFixed(0)} MiB` },
      { figure: 'orders worker RSS, peak', value: `${peakMiB.toFixed(0)} MiB` },
      { figure: 'drain, shipping back to every order completed', value: `${drainS.toFixed(0)} s` },
      { figure: 'drain rate', value: `${(completed / drainS).toFixed(1)} orders/s` },
    ],
    plot: {
      title: `${orders} orders with shipping down, then shipping back`,
      hconcat: [
        {
          layer: [
            {
              data: { values: memory },
              mark: 'line',
              encoding: {
                x: { field: 'seconds', type: 'quantitative', title: 'seconds from the first order' },
                y: { field: 'rssMiB', type: 'quantitative', title: 'orders worker RSS (MiB)' },
              },
            },
            ...horizontalLine(peakMiB, `peak ${peakMiB.toFixed(0)} MiB`),
          ],
          width: 300,
          height: 220,
        },
        {
          data: { values: progress },
          mark: 'line',
          encoding: {
            x: { field: 'seconds', type: 'quantitative', title: 'seconds since shipping came back' },
            y: { field: 'completed', type: 'quantitative', title: 'orders completed' },
          },
          width: 300,
          height: 220,
        },
      ],
    },
    verdicts: [
      {
        claim: `the API's p99 ≤ ${p99TargetMs} ms in every tenth of the load`,
        measured: windows.map((window) => `${window.p99Ms}`).join(', ') + ' ms',
        holds: worstP99 <= p99TargetMs,
      },
      {
        claim: 'every order completes once shipping is back',
        measured: `${completed}/${orders} in ${drainS.toFixed(0)} s`,
        holds: completed === orders,
      },
      {
        claim: `the orders worker's memory with its workflow cache at ${workflowCacheSize} sagas (reported, no target)`,
        measured: `peak ${peakMiB.toFixed(0)} MiB`,
        holds: true,
      },
    ],
  };
}
