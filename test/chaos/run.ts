/**
 * `npm run test:chaos`: the chaos suite, apart from `npm test`. The whole system runs as separate processes (a
 * Temporal dev server on a file, the four service workers, the API); orders of every path arrive through the API
 * at a fixed rate, a seeded share of them cancelled at random moments, many while an action is in flight; and
 * meanwhile, one fault at a time, each worker in turn is killed with SIGKILL and restarted a few seconds later,
 * the dev server is killed and restarted on the same file, and on PostgreSQL the services' connections are ended.
 *
 * Then every saga must end, and the invariants must hold from the services' own rows (test/chaos/invariants.ts).
 * It prints a progress line every few seconds and, at the end, the counts and every finding. It exits 1 on any
 * violation, any saga that did not end, any process that died without being killed, and any request the API
 * refused, and then keeps the run's folder to look into. Options: test/chaos/options.ts.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../../config';
import { closeDatabases, openDatabases } from '../system';
import type { InjectedFault } from './faults';
import { faultRound, runFaults } from './faults';
import type { FinalOrder, Violation } from './invariants';
import { outcomeViolations, rowViolations } from './invariants';
import type { ChaosOptions } from './options';
import { readOptions, usage } from './options';
import { planOrders } from './plan';
import { progressLine, summary } from './report';
import { describeStuck, readFinalOrders, waitUntilClosed } from './settle';
import type { ProcessDeath } from './supervised-process';
import type { ChaosSystem } from './topology';
import { startChaosSystem } from './topology';
import type { OrderRecord } from './traffic';
import { cancelOrder, placeOrder } from './traffic';

const progressEveryMs = 5000;

/** Order sagas closed so far, from visibility; undefined while the server does not answer. */
async function sagasSettled(system: ChaosSystem): Promise<number | undefined> {
  try {
    const { count } = await system.client.connection.withDeadline(Date.now() + 1000, () =>
      system.client.workflow.count(`WorkflowType = 'placeOrder' AND ExecutionStatus != 'Running'`),
    );
    return count;
  } catch {
    return undefined;
  }
}

/** Places every order on its slot of the fixed pace, and cancels the planned ones; resolves once all are placed. */
async function sendOrders(
  system: ChaosSystem,
  records: OrderRecord[],
  rate: number,
): Promise<{ cancellations: Promise<unknown> }> {
  const began = performance.now();
  const placings: Promise<void>[] = [];
  const cancellations: Promise<void>[] = [];
  for (const record of records) {
    await delay(Math.max(0, (record.plan.index * 1000) / rate - (performance.now() - began)));
    const placing = placeOrder(system.apiUrl, record).catch((error: Error) => {
      record.error = `POST /orders: ${error.message}`;
    });
    placings.push(placing);
    cancellations.push(
      placing
        .then(() => cancelOrder(system.apiUrl, record))
        .catch((error: Error) => {
          record.error = `POST /orders/${record.orderId}/cancel: ${error.message}`;
        }),
    );
  }
  await Promise.all(placings);
  return { cancellations: Promise.all(cancellations) };
}

/** Once the traffic and the faults are over: waits for the sagas, then reads and checks everything. */
async function check(
  system: ChaosSystem,
  records: readonly OrderRecord[],
  settleTimeoutMs: number,
): Promise<{ finals: FinalOrder[]; stuck: string[]; violations: Violation[] }> {
  const orderIds = records.flatMap((record) => (record.orderId ? [record.orderId] : []));
  const { closed, open } = await waitUntilClosed(system.client, orderIds, settleTimeoutMs);
  for (const orderId of open.slice(0, 20)) {
    const record = records.find((candidate) => candidate.orderId === orderId)!;
    console.log(await describeStuck(system.client, system.apiUrl, record));
  }
  const finals = await readFinalOrders(system.apiUrl, records, (orderId) => closed.get(orderId) ?? 'RUNNING');

  const violations = outcomeViolations(finals);
  const databases = await openDatabases(loadConfig(system.env));
  try {
    violations.push(...(await rowViolations(databases, finals)));
  } finally {
    await closeDatabases(databases);
  }
  // Not only the orders: a shipment workflow left running would be a saga's step that never answered.
  for await (const execution of system.client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
    violations.push({ rule: 'workflow-still-open', detail: `${execution.type} ${execution.workflowId}` });
  }
  return { finals, stuck: open, violations };
}

/** A passed run leaves nothing behind; a failed one keeps its folder, with every process's output, to look into. */
async function cleanUp(system: ChaosSystem, options: ChaosOptions, passed: boolean): Promise<void> {
  if (passed && !options.keep) {
    await rm(system.dir, { recursive: true, force: true });
    await system.storage.drop();
    return;
  }
  const logs = path.join(system.dir, 'logs');
  await mkdir(logs, { recursive: true });
  await Promise.all(system.parts().map((part) => part.writeLogs(logs)));
  console.log(
    `\nkept ${system.dir}: every process's output in logs/; to read a saga's history, ` +
      `temporal server start-dev --headless --db-filename ${path.join(system.dir, 'temporal.sqlite')} ` +
      `and temporal workflow show -w order-<orderId>` +
      (options.postgresUrl ? `; the services' databases are kept on ${options.postgresUrl}` : ''),
  );
}

async function run(options: ChaosOptions): Promise<boolean> {
  const began = performance.now();
  const clock = () => Math.round((performance.now() - began) / 1000);
  const deaths: ProcessDeath[] = [];
  console.log(
    `chaos: ${options.orders} orders at ${options.rate}/s (seed ${options.seed}, ${Math.round(options.cancelShare * 100)} % cancelled), ` +
      `a fault every ${options.faultEverySeconds.toFixed(1)} s, services on ${options.postgresUrl ? 'PostgreSQL' : 'SQLite'}`,
  );
  const system = await startChaosSystem({
    postgresUrl: options.postgresUrl,
    clock,
    onDeath: (death) => {
      deaths.push(death);
      console.log(`!! ${death.name} exited on its own (${death.exit}) at ${death.atSeconds} s:\n${death.lastWords}`);
    },
  });
  console.log(`system up in ${clock()} s: ${system.dir}`);
  const interrupt = () => {
    console.log(`interrupted: stopping the system; its folder stays, ${system.dir}`);
    void system.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const records: OrderRecord[] = planOrders({
    size: options.orders,
    seed: options.seed,
    cancelShare: options.cancelShare,
    runId: path.basename(system.dir),
  }).map((plan) => ({ plan, orderId: undefined, retries: 0, cancel: undefined, error: undefined }));
  const faults: InjectedFault[] = [];
  let currentFault: string | undefined;
  let placing = true;
  const progress = setInterval(() => {
    void sagasSettled(system).then((settled) =>
      console.log(
        progressLine({
          seconds: clock(),
          placed: records.filter((record) => record.orderId).length,
          total: records.length,
          settled,
          records,
          faults: faults.length + (currentFault ? 1 : 0),
          currentFault,
          deaths: deaths.length,
        }),
      ),
    );
  }, progressEveryMs);

  let passed = false;
  try {
    const faulting = runFaults({
      system,
      round: faultRound(system, options.downSeconds),
      everyMs: options.faultEverySeconds * 1000,
      done: () => !placing,
      clock,
      onFault: (name) => (currentFault = name),
      injected: faults,
    });
    const { cancellations } = await sendOrders(system, records, options.rate);
    placing = false;
    await faulting;
    await cancellations;
    console.log(`every order placed and every fault restored at ${clock()} s; waiting for the sagas to end…`);

    const { finals, stuck, violations } = await check(system, records, options.settleTimeoutSeconds * 1000);
    clearInterval(progress);
    console.log(`\n${summary({ options, seconds: clock(), records, finals, faults, deaths, stuck, violations })}`);
    passed =
      violations.length === 0 && stuck.length === 0 && deaths.length === 0 && records.every(({ error }) => !error);
  } finally {
    clearInterval(progress);
    process.removeListener('SIGINT', interrupt);
    process.removeListener('SIGTERM', interrupt);
    await system.stop();
    await cleanUp(system, options, passed);
  }
  console.log(passed ? '\nchaos: passed' : '\nchaos: FAILED');
  return passed;
}

function main(): void {
  let options: ChaosOptions;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    const message = (error as Error).message;
    console.error(message.includes('usage:') ? message : `${message}\nusage: ${usage}`);
    process.exit(2);
  }
  run(options).then(
    (passed) => process.exit(passed ? 0 : 1),
    (error: unknown) => {
      console.error('chaos: the run itself failed:', error);
      process.exit(1);
    },
  );
}

main();
