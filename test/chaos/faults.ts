/**
 * The faults, one at a time on a fixed schedule while orders keep coming: `kill -9` of each service worker in
 * turn, restarted a few seconds later; `kill -9` of the Temporal dev server, restarted on the same file and port;
 * on PostgreSQL, every connection of the services ended by the database (`pg_terminate_backend`).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { allServices } from '../../workers/service-workers';
import { terminateConnections } from '../postgres';
import type { SupervisedProcess } from './supervised-process';
import type { ChaosSystem } from './topology';

export interface Fault {
  name: string;
  /** Injects the fault and restores what it took down; returns what is worth saying about it. */
  inject: () => Promise<string | undefined>;
}

export interface InjectedFault {
  name: string;
  /** Seconds into the run. */
  atSeconds: number;
  /** Order sagas running when it struck. */
  sagasRunning: number | undefined;
  detail: string | undefined;
}

function killAndRestart(process: SupervisedProcess, downMs: number, what: string): Fault {
  return {
    name: what,
    inject: async () => {
      await process.kill();
      await delay(downMs);
      await process.start();
      return undefined;
    },
  };
}

/** One round of faults: every worker, the dev server, and on PostgreSQL the database connections. */
export function faultRound(system: ChaosSystem, downSeconds: number): Fault[] {
  const downMs = downSeconds * 1000;
  const round = [
    ...allServices.map((service) => killAndRestart(system.workers[service], downMs, `kill -9 ${service} worker`)),
    // The server is down for less time than a worker: everything waits on it, and it takes a while to start.
    killAndRestart(system.server, (downMs * 2) / 3, 'kill -9 Temporal dev server'),
  ];
  const prefix = system.databasePrefix;
  if (prefix) {
    round.push({
      name: 'PostgreSQL connections terminated',
      inject: async () => `${await terminateConnections(prefix)} connections`,
    });
  }
  return round;
}

/** Order sagas running now, from visibility; undefined while the server does not answer. */
async function sagasRunning(system: ChaosSystem): Promise<number | undefined> {
  try {
    const { count } = await system.client.connection.withDeadline(Date.now() + 1000, () =>
      system.client.workflow.count(`WorkflowType = 'placeOrder' AND ExecutionStatus = 'Running'`),
    );
    return count;
  } catch {
    return undefined;
  }
}

/**
 * Injects the faults of `round` in turn, one starting every `everyMs`, until `done()` says the batch is placed and
 * at least one whole round has struck. `onFault` hears of each as it starts, and `injected` gets it once restored.
 */
export async function runFaults({
  system,
  round,
  everyMs,
  done,
  clock,
  onFault,
  injected,
}: {
  system: ChaosSystem;
  round: Fault[];
  everyMs: number;
  done: () => boolean;
  clock: () => number;
  onFault: (name: string | undefined) => void;
  injected: InjectedFault[];
}): Promise<void> {
  let next = performance.now();
  for (let index = 0; ; index++) {
    // From one fault's start to the next; a fault that takes longer than that is followed a second after it ends.
    next = Math.max(next + everyMs, performance.now() + 1000);
    await delay(next - performance.now());
    if (done() && index >= round.length) return;
    const fault = round[index % round.length]!;
    const atSeconds = clock();
    const running = await sagasRunning(system);
    onFault(fault.name);
    const detail = await fault.inject();
    onFault(undefined);
    injected.push({ name: fault.name, atSeconds, sagasRunning: running, detail });
  }
}
