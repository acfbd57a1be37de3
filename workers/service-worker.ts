/**
 * What every service worker shares: its connections, its options, its own database, and how a worker gets
 * workflow code.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { LogLevel, LogMetadata, NativeConnection, WorkerOptions } from '@temporalio/worker';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { Kysely, Migration } from 'kysely';
import type { DatabaseLocation } from '../activities/storage/database';
import { databaseLocation, describeLocation, openDatabase, reachDatabase } from '../activities/storage/database';
import type { Config } from '../config';
import { StartupError } from '../config/startup';
import { causeChain, isCompensatedEnding } from '../workflows/saga';
import type { ServiceName } from '../workflows/task-queues';
import { sagaInterceptorModules, withoutWorkflowStackTraces } from './saga';

export type { ServiceName } from '../workflows/task-queues';

export interface ServiceDeps {
  connection: NativeConnection;
  namespace: string;
  /** For services that start workflows or complete activities by token. */
  client: Client;
  config: Config;
  /** The project's data converter (codec/data-converter.ts), the client's too: payloads leave encrypted. */
  dataConverter: DataConverter;
}

/**
 * A service's deps in the configured wiring: with `SERVICE_WIRING=nexus`, inventory, payments and shipping each work
 * in a namespace of their own, with a client there; orders, and every service otherwise, in `deps.namespace`.
 */
export function depsInOwnNamespace(name: ServiceName, deps: ServiceDeps): ServiceDeps {
  const own = name === 'orders' ? undefined : deps.config.nexus?.[name];
  if (!own) return deps;
  const client = new Client({
    connection: deps.client.connection,
    namespace: own.namespace,
    dataConverter: deps.dataConverter,
  });
  return { ...deps, namespace: own.namespace, client };
}

/** A service's worker, built but not yet running, and the storage it holds open. */
export interface Service {
  name: ServiceName;
  /** The namespace its worker polls in. */
  namespace: string;
  worker: Worker;
  /** Where the service keeps its data, for logs and banners. */
  database: string;
  /** Where its workflow code comes from, for a service that runs workflows (logs and banners). */
  workflows: string | undefined;
  /** How long `Worker.create` took: what a prebuilt workflow bundle shortens. */
  workerCreatedMs: number;
  /** Runs the worker, and the service's {@link Companion} beside it, until the worker stops; then closes storage. */
  run: () => Promise<void>;
  /** Releases the service's storage, for a service that is not run. */
  close: () => Promise<void>;
}

/** Work a service does beside its worker, as long as the worker runs: it ends when `stopping` aborts. */
export type Companion = (stopping: AbortSignal) => Promise<void>;

/**
 * Workflow code: a path that the worker bundles at start (webpack, a second or more) with the saga interceptor, or
 * a bundle made once beforehand, the interceptor bundled in: by `npm run build` for production, once per run by the
 * test suite.
 */
export type WorkflowSource =
  Pick<WorkerOptions, 'workflowsPath' | 'interceptors'> | Pick<WorkerOptions, 'workflowBundle'>;

/** The workflows entry point, for `workflowsPath` and `bundleWorkflowCode`. */
export const workflowsPath = require.resolve('../workflows');

/** Where `npm run build` writes the workflow bundle: beside the compiled code, `dist/workflow-bundle.js`. */
export const builtBundlePath = path.resolve(__dirname, '..', 'workflow-bundle.js');

/**
 * The workflow code a service runs: `WORKFLOW_BUNDLE` when set (`none`: bundle at start), else the bundle built
 * beside the compiled code, so that a production worker never runs webpack; from source (`npm start`), there is
 * none, and the worker bundles at start.
 */
export function workflowSource(config: Config): WorkflowSource {
  const bundle = config.workflowBundle ?? (existsSync(builtBundlePath) ? builtBundlePath : 'none');
  return bundle === 'none'
    ? { workflowsPath, interceptors: { workflowModules: sagaInterceptorModules } }
    : { workflowBundle: { codePath: bundle } };
}

/** For logs and banners: where a worker's workflow code comes from; undefined for a worker without workflows. */
export function describeWorkflowSource({ workflowsPath, workflowBundle }: Partial<WorkerOptions>): string | undefined {
  if (workflowsPath) return `bundled at start from ${path.relative(process.cwd(), workflowsPath)}`;
  if (!workflowBundle) return undefined;
  return 'codePath' in workflowBundle
    ? `prebuilt bundle ${path.relative(process.cwd(), workflowBundle.codePath)}`
    : 'a prebuilt bundle';
}

/** Shared by every service worker. */
export const serviceWorkerOptions = {
  /** In-flight activities get this long to finish on shutdown before they are cancelled. */
  shutdownGraceTime: '10 seconds',
} as const satisfies Partial<WorkerOptions>;

/**
 * The line a worker logs for a saga that compensated as designed (`SagaCompensated`, `SagaCancelled`,
 * `SagaDeadlineExceeded`), instead of the SDK's `Workflow failed` warning and its stack trace: the saga's id and its
 * failure message, which names the step, its failure and what was undone. Undefined for any other record.
 */
function compensatedSagaLine(message: string, meta: LogMetadata | undefined): string | undefined {
  if (message !== 'Workflow failed' || !isCompensatedEnding(meta?.error)) return undefined;
  return `Saga ${String(meta?.workflowId)} ${(meta?.error as Error).message}`;
}

/**
 * Whether a record is the SDK's warning for a Nexus operation that refused as designed (a benign business failure,
 * activities/failures.ts): a refusal, which the SDK logs below the threshold when an activity makes it.
 */
function isNexusRefusal(message: string, meta: LogMetadata | undefined): boolean {
  const error: unknown = meta?.error;
  return (
    message === 'Nexus handler invocation failed' &&
    error instanceof ApplicationFailure &&
    error.nonRetryable === true &&
    error.category === ApplicationFailureCategory.BENIGN
  );
}

export class ServiceWorkerLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (/^No (workflows|activities) registered/.test(message) || isNexusRefusal(message, meta)) return;
    const compensated = compensatedSagaLine(message, meta);
    if (compensated) {
      // A compensated saga is a business outcome, not a warning, so INFO; written past the WARN threshold, which
      // keeps out the SDK's routine lines, because the console should still say how each saga ended.
      this.logFunction({ level: 'INFO', message: compensated, timestampNanos: BigInt(Date.now()) * 1_000_000n });
      return;
    }
    super.log(level, message, meta);
  }
}

/**
 * Warnings and errors, minus the notice that a worker has no workflows (most services serve only activities by
 * design, so it says nothing), and with one info line for each saga that compensated ({@link compensatedSagaLine}).
 */
export const serviceWorkerLogger = new ServiceWorkerLogger('WARN');

/**
 * The SDK's process-wide runtime for worker processes: {@link serviceWorkerLogger}, and the Prometheus endpoint
 * (`http://<host>:<METRICS_PORT>/metrics`: the SDK's worker metrics and the sagas' own counters) when
 * `METRICS_PORT` is set. `shutdownSignals: []` leaves SIGINT/SIGTERM to a caller that orders its own shutdown.
 */
export function installWorkerRuntime(config: Config, options: { shutdownSignals?: NodeJS.Signals[] } = {}): void {
  Runtime.install({
    logger: serviceWorkerLogger,
    ...options,
    ...(config.metricsPort !== undefined
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${config.metricsPort}` } } } }
      : {}),
  });
}

/**
 * Opens a service's own database (SQLite under the data folder, or PostgreSQL by URL) and migrates it. Fails with
 * {@link databaseStartupError} when the database cannot be opened.
 */
export async function openServiceDatabase<Schema>(
  name: ServiceName,
  config: Config,
  migrations: Record<string, Migration>,
): Promise<{ db: Kysely<Schema>; location: DatabaseLocation }> {
  const location = databaseLocation(name, config.dataDir, config.databaseUrls[name]);
  try {
    return { db: await openDatabase<Schema>(location, migrations), location };
  } catch (error) {
    throw databaseStartupError(name, location, error);
  }
}

/**
 * Checks that a service's database answers, changing nothing: what `npm start` does before it launches anything,
 * so that a database that is down fails the start before a server runs. Fails as {@link openServiceDatabase} does.
 */
export async function checkServiceDatabase(name: ServiceName, config: Config): Promise<void> {
  const location = databaseLocation(name, config.dataDir, config.databaseUrls[name]);
  try {
    await reachDatabase(location);
  } catch (error) {
    throw databaseStartupError(name, location, error);
  }
}

/** The one line for a database that cannot be opened: where it is (password hidden), why, and what to fix. */
function databaseStartupError(name: ServiceName, location: DatabaseLocation, error: unknown): StartupError {
  const innermost = [...causeChain(error)].at(-1)?.message;
  const reason = String(innermost).split('\n')[0];
  const variable = location.kind === 'sqlite' ? 'DATA_DIR' : `${name.toUpperCase()}_DATABASE_URL`;
  return new StartupError(
    `Cannot open the ${name} database ${describeLocation(location)}: ${reason}. Check ${variable}.`,
  );
}

/**
 * Builds a service: opens its database, hands it to the service's activities (and its companion, if it has one),
 * and creates a worker on the service's own task queue. The database is closed if the worker cannot be created.
 */
export async function createService<Schema>(
  name: ServiceName,
  deps: ServiceDeps,
  migrations: Record<string, Migration>,
  options: (db: Kysely<Schema>) => Promise<Partial<WorkerOptions>> | Partial<WorkerOptions>,
  companion?: (db: Kysely<Schema>) => Companion,
): Promise<Service> {
  const { db, location } = await openServiceDatabase<Schema>(name, deps.config, migrations);
  try {
    const workerOptions = await options(db);
    if (!deps.config.workflowStackTraces) withoutWorkflowStackTraces();
    const began = performance.now();
    const worker = await Worker.create({
      ...serviceWorkerOptions,
      connection: deps.connection,
      namespace: deps.namespace,
      dataConverter: deps.dataConverter,
      taskQueue: deps.config.taskQueues[name],
      maxCachedWorkflows: deps.config.workflowCacheSize,
      ...workerOptions,
    });
    return {
      name,
      namespace: deps.namespace,
      worker,
      database: describeLocation(location),
      workflows: describeWorkflowSource(workerOptions),
      workerCreatedMs: Math.round(performance.now() - began),
      run: async () => {
        const stopping = new AbortController();
        const beside = companion?.(db)(stopping.signal);
        try {
          await worker.run();
        } finally {
          stopping.abort();
          await beside;
          await db.destroy();
        }
      },
      close: () => db.destroy(),
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
