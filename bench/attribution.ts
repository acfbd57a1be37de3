/**
 * attribution: where an order's time goes, under a steady load through the API (the whole order system in this
 * process, as `npm start` runs it). Its wall time from its saga's history, each interval between two events named
 * by what it waited on; and the CPU the system and the Temporal server spend per order: per thread from /proc, and
 * the main thread's by the code it ran, from a CPU profile (the inspector's, as `--cpu-prof` writes).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { placeOrders, startOrderSystem, waitForCount } from './order-system';
import type { BenchmarkResult } from './report';
import { installQuietRuntime, percentile } from './report';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const { EventType } = temporal.api.enums.v1;

/** What an interval of an order's wall time waited on, named by the event that ended it. */
export const wallShares = [
  'workflow task waiting for a worker',
  'workflow task on the worker (engine, SDK)',
  'activity waiting for a worker',
  'activity running (service, database)',
  'async step: the shipment workflow',
  'server (history, matching)',
] as const;
export type WallShare = (typeof wallShares)[number];

function millisecondsOf(event: HistoryEvent): number {
  const time = event.eventTime;
  return Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);
}

/**
 * Splits one workflow's history, from its first event to its last, into {@link wallShares}: each interval goes to
 * what the event at its end says it waited on. `asyncActivity` names the activity completed by another workflow.
 */
export function splitWallTime(events: HistoryEvent[], asyncActivity?: string): Record<WallShare, number> {
  const split = Object.fromEntries(wallShares.map((share) => [share, 0])) as Record<WallShare, number>;
  const activityTypes = new Map<string, string>();
  for (let index = 1; index < events.length; index++) {
    const event = events[index]!;
    const ms = millisecondsOf(event) - millisecondsOf(events[index - 1]!);
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes) activityTypes.set(String(event.eventId), attributes.activityType?.name ?? '');
    const completedType = activityTypes.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId));
    const share: WallShare =
      event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED
        ? 'workflow task waiting for a worker'
        : event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
          ? 'workflow task on the worker (engine, SDK)'
          : event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
            ? 'activity waiting for a worker'
            : completedType !== undefined
              ? completedType === asyncActivity
                ? 'async step: the shipment workflow'
                : 'activity running (service, database)'
              : 'server (history, matching)';
    split[share] += ms;
  }
  return split;
}

/** The mean split of the orders' wall time, over their sagas' histories. */
export async function orderWallTime(client: Client, workflowIds: readonly string[]) {
  const totals = Object.fromEntries(wallShares.map((share) => [share, 0])) as Record<WallShare, number>;
  for (const workflowId of workflowIds) {
    const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const split = splitWallTime(events, 'requestShipment');
    for (const share of wallShares) totals[share] += split[share] / workflowIds.length;
  }
  return totals;
}

/** CPU time (ms) of each thread of this process, by the kind of thread, and of another process. */
function threadCpuMs(): Record<string, number> {
  const tick = 10; // USER_HZ: 100 ticks per second on Linux
  const groups: Record<string, number> = {};
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const name = /\((.*)\)/.exec(stat)?.[1] ?? '';
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * tick;
    const group =
      String(process.pid) === tid
        ? 'main thread (API, activities, databases, SDK)'
        : name.startsWith('tokio')
          ? 'SDK core threads (Rust: gRPC, state machines)'
          : 'other Node threads (workflow code, GC)';
    groups[group] = (groups[group] ?? 0) + ms;
  }
  return groups;
}

function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The pid of the dev server listening at `address` (`host:port`), from its command line. */
export function serverPid(address: string): number | undefined {
  const port = address.split(':').at(-1);
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (command.includes('start-dev') && command[command.indexOf('--port') + 1] === port) return Number(pid);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** The code the main thread ran, by where it lives: self time of a CPU profile's samples. */
function profileShares(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const shares: Record<string, number> = {};
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let index = 0; index < samples.length; index++) {
    const frame = byId.get(samples[index]!)?.callFrame;
    const url = frame?.url ?? '';
    const moduleName = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    const own = /\/(api|activities|workers|workflows|codec|config)\//.exec(url)?.[1];
    const share =
      frame?.functionName === '(idle)'
        ? undefined
        : frame?.functionName === '(garbage collector)'
          ? 'garbage collection'
          : moduleName === 'better-sqlite3' || moduleName === 'kysely'
            ? 'SQLite (better-sqlite3, kysely)'
            : moduleName?.startsWith('@temporalio') || moduleName === '@grpc/grpc-js' || moduleName === 'protobufjs'
              ? 'Temporal SDK and gRPC client (JS)'
              : moduleName === 'express' || moduleName === 'jose' || moduleName?.startsWith('pino') || own === 'api'
                ? 'API (express, tokens, logging, our routes)'
                : own
                  ? `our ${own}/`
                  : moduleName
                    ? 'other packages'
                    : 'Node internals and native code';
    if (share) shares[share] = (shares[share] ?? 0) + (deltas[index] ?? 0) / 1000;
  }
  return shares;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

/** Measures the CPU spent while `work` runs: per thread group of this process, and the server's. */
export async function measureThreadCpu<T>(serverProcess: number | undefined, work: () => Promise<T>) {
  const threadsBefore = threadCpuMs();
  const serverBefore = serverProcess ? processCpuMs(serverProcess) : NaN;
  const result = await work();
  const threadsAfter = threadCpuMs();
  const serverMs = serverProcess ? processCpuMs(serverProcess) - serverBefore : NaN;
  const threads = Object.fromEntries(
    Object.entries(threadsAfter).map(([group, ms]) => [group, ms - (threadsBefore[group] ?? 0)]),
  );
  return { result, threads, serverMs };
}

/** {@link measureThreadCpu}, and a profile of the main thread meanwhile. */
export async function measureCpu<T>(serverProcess: number | undefined, work: () => Promise<T>) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const measured = await measureThreadCpu(serverProcess, work);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  return { ...measured, mainThread: profileShares(profile) };
}

export async function attribution({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  installQuietRuntime();
  // Half the ceiling: an order's own time, not a queue's (the throughput benchmark shows the queue).
  const rate = 5;
  const seconds = quick ? 4 : 60;
  const amount = rate * seconds;
  const system = await startOrderSystem();
  const customerId = `bench-${randomUUID()}`;
  const apiMs: number[] = [];
  let measured: Awaited<ReturnType<typeof measureCpu>>;
  let wall: Record<WallShare, number>;
  let historiesRead: number;
  try {
    process.stderr.write(`attribution: ${rate} orders/s for ${seconds} s…\n`);
    measured = await measureCpu(serverPid(system.server.address), async () => {
      await placeOrders(system.apiUrl, customerId, { amount, rate, onResponse: (_status, ms) => apiMs.push(ms) });
      const completed = `CustomerId = '${customerId}' AND SagaStatus = 'completed'`;
      await waitForCount(system.client, completed, amount, 'attribution: completed');
    });
    const ids: string[] = [];
    for await (const { workflowId } of system.client.workflow.list({ query: `CustomerId = '${customerId}'` })) {
      if (ids.push(workflowId) >= 100) break;
    }
    wall = await orderWallTime(system.client, ids);
    historiesRead = ids.length;
  } finally {
    await system.stop();
  }
  const perOrder = (ms: number) => ms / amount;
  const wallTotal = wallShares.reduce((sum, share) => sum + wall[share], 0);
  const cpu: [string, number][] = [
    ...Object.entries(measured.threads).map(([group, ms]): [string, number] => [group, perOrder(ms)]),
    ['Temporal server (dev server, SQLite)', perOrder(measured.serverMs)],
  ];
  const cpuTotal = cpu.reduce((sum, [, ms]) => sum + ms, 0);
  // The profile's samples split the main thread's CPU (from /proc) by the code that ran.
  const mainThreadMs = Object.entries(measured.threads).find(([group]) => group.startsWith('main'))?.[1] ?? 0;
  const sampledMs = Object.values(measured.mainThread).reduce((sum, ms) => sum + ms, 0);
  const mainThread = Object.entries(measured.mainThread)
    .map(([part, ms]): [string, number] => [part, (ms / sampledMs) * mainThreadMs])
    .sort(([, a], [, b]) => b - a);
  const rows: BenchmarkResult['rows'] = [
    {
      kind: 'wall',
      part: 'POST /orders (the API, before the saga runs), p50',
      msPerOrder: percentile(apiMs, 50),
      share: '—',
    },
    ...wallShares.map((share) => ({
      kind: 'wall',
      part: share,
      msPerOrder: wall[share],
      share: `${((wall[share] / wallTotal) * 100).toFixed(0)} %`,
    })),
    ...cpu.map(([part, ms]) => ({
      kind: 'cpu',
      part,
      msPerOrder: ms,
      share: `${((ms / cpuTotal) * 100).toFixed(0)} %`,
    })),
    ...mainThread.map(([part, ms]) => ({
      kind: 'cpu, main thread',
      part,
      msPerOrder: perOrder(ms),
      share: `${((perOrder(ms) / cpuTotal) * 100).toFixed(0)} %`,
    })),
  ];
  return {
    name: 'attribution',
    parameters: { rate, seconds, orders: amount, historiesRead, quick },
    rows,
    plot: {
      title: {
        text: `Where an order's time goes, at ${rate} orders/s`,
        subtitle: "wall time from the saga's history; CPU per order from /proc and a CPU profile of the main thread",
      },
      data: { values: rows.filter((row) => row.kind !== 'cpu, main thread' && row.share !== '—') },
      mark: 'bar',
      encoding: {
        row: {
          field: 'kind',
          type: 'nominal',
          title: null,
          header: { labelExpr: "datum.value === 'wall' ? 'wall time' : 'CPU'" },
        },
        y: { field: 'part', type: 'nominal', title: null, sort: '-x', axis: { labelLimit: 320 } },
        x: { field: 'msPerOrder', type: 'quantitative', title: 'ms per order' },
      },
      resolve: { scale: { y: 'independent' } },
      width: 360,
    },
    verdicts: [
      {
        claim: "every interval of an order's saga is named (reported, no target)",
        measured: `wall ${wallTotal.toFixed(0)} ms per order, CPU ${cpuTotal.toFixed(0)} ms per order`,
        holds: true,
      },
    ],
  };
}
