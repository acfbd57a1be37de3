/**
 * Process configuration, read once from the environment and validated with zod so that a bad value stops the
 * process at start with the variable's name, not later with a confusing connection error.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { TaskQueues } from '../workflows/task-queues';
import { defaultTaskQueues } from '../workflows/task-queues';

const port = z.coerce.number().int().min(1).max(65535);
/** `host:port`, as gRPC takes it: no scheme, a port. */
const hostAndPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. temporal.internal:7233');
const taskQueue = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'letters, digits and ._:- only');
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'expected postgres://user:password@host:port/db' });
/** A PEM file, read at start so that a wrong path fails here and not at the first connection. */
const pemFile = z
  .string()
  .min(1)
  .transform((file, context) => {
    try {
      return readFileSync(path.resolve(file));
    } catch (error) {
      context.addIssue({ code: 'custom', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code}` });
      return z.NEVER;
    }
  });
const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((value) => value === 'true' || value === '1')
  .optional();

const EnvSchema = z
  .object({
    TEMPORAL_ADDRESS: hostAndPort.optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_TLS: flag,
    TEMPORAL_TLS_CERT: pemFile.optional(),
    TEMPORAL_TLS_KEY: pemFile.optional(),
    TEMPORAL_TLS_CA: pemFile.optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_PORT: port.default(7233),
    TEMPORAL_UI_PORT: port.default(8233),
    TEMPORAL_UI_URL: z.url().optional(),
    DATA_DIR: z.string().min(1).default('data'),
    PORT: port.default(3000),
    ORDERS_DATABASE_URL: postgresUrl.optional(),
    INVENTORY_DATABASE_URL: postgresUrl.optional(),
    PAYMENTS_DATABASE_URL: postgresUrl.optional(),
    SHIPPING_DATABASE_URL: postgresUrl.optional(),
    HOST: z.string().min(1).default('127.0.0.1'),
    OPERATOR_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
    API_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
    TEMPORAL_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2500),
    METRICS_PORT: port.optional(),
    ORDERS_TASK_QUEUE: taskQueue.default(defaultTaskQueues.orders),
    INVENTORY_TASK_QUEUE: taskQueue.default(defaultTaskQueues.inventory),
    PAYMENTS_TASK_QUEUE: taskQueue.default(defaultTaskQueues.payments),
    SHIPPING_TASK_QUEUE: taskQueue.default(defaultTaskQueues.shipping),
    WORKFLOW_BUNDLE: z
      .string()
      .min(1)
      .refine((value) => value === 'none' || existsSync(path.resolve(value)), 'no bundle at that path (npm run build)')
      .optional(),
  })
  .refine((vars) => (vars.TEMPORAL_TLS_CERT === undefined) === (vars.TEMPORAL_TLS_KEY === undefined), {
    message: 'set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (a client certificate needs its key), or neither',
    path: ['TEMPORAL_TLS_KEY'],
  });

export interface Config {
  temporal: {
    /** `host:port` of an existing Temporal cluster; unset means "launch the embedded dev server". */
    address: string | undefined;
    /** @default 'default' */
    namespace: string;
    /** API key for Temporal Cloud (implies TLS). */
    apiKey: string | undefined;
    /**
     * Connect with TLS. @default true when an API key or a client certificate is set, else false. With mTLS
     * (self-hosted, or Temporal Cloud with certificates) the client certificate and key come from PEM files.
     */
    tls: boolean;
    clientCertificate: { crt: Buffer; key: Buffer } | undefined;
    /** Root CA to verify the server with, when it is not a public one. */
    serverRootCa: Buffer | undefined;
    /** Server name to verify instead of the address's host. */
    serverName: string | undefined;
  };
  /** Each service's task queue (`<SERVICE>_TASK_QUEUE`). @default the service's name */
  taskQueues: TaskQueues;
  /** Port of the workers' Prometheus endpoint (`/metrics`); unset: no endpoint. */
  metricsPort: number | undefined;
  /**
   * The workflow code a worker runs: a prebuilt bundle's path, or `'none'` to bundle from source at start.
   * @default the bundle `npm run build` writes beside the compiled code, when there is one; else bundling at start
   */
  workflowBundle: string | undefined;
  embeddedServer: {
    /** gRPC port of the embedded dev server. @default 7233 */
    port: number;
    /** Web UI port of the embedded dev server. @default 8233 */
    uiPort: number;
    /** SQLite file that keeps the embedded server's history across restarts. @default data/temporal.sqlite */
    dbFilename: string;
  };
  /** Base URL of the Temporal Web UI; defaults to the embedded server's UI. */
  webUiUrl: string | undefined;
  /** Folder for local state: the embedded server's SQLite file and each service's own. @default ./data */
  dataDir: string;
  /**
   * A PostgreSQL URL per service (`<SERVICE>_DATABASE_URL`); a service without one keeps its data in
   * `<dataDir>/<service>.sqlite`.
   */
  databaseUrls: Record<'orders' | 'inventory' | 'payments' | 'shipping', string | undefined>;
  api: {
    /** @default 3000 */
    port: number;
    /** @default 127.0.0.1 */
    host: string;
    /** Bearer token for operator routes; unset disables them. */
    operatorToken: string | undefined;
    /** @default 'info' */
    logLevel: string;
    /** `pretty`: a short line per request, for a person; `json`: one object per line. @default pretty on a terminal */
    logFormat: 'json' | 'pretty';
    /** How long `?wait=` may hold a request before answering 202. @default 5000 */
    waitTimeoutMs: number;
    /** Any other Temporal call must answer within this, or the request gets a 503. @default 2500 */
    temporalTimeoutMs: number;
  };
}

/** Invalid configuration, said in one line that names each variable: what a process prints before it exits 1. */
export class ConfigError extends Error {
  constructor(issues: readonly z.core.$ZodIssue[]) {
    super('Invalid configuration: ' + issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
    this.name = 'ConfigError';
  }
}

/** Reads the configuration from `env`; throws {@link ConfigError} naming every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues);
  const vars = parsed.data;
  const dataDir = path.resolve(vars.DATA_DIR);
  return {
    temporal: {
      address: vars.TEMPORAL_ADDRESS,
      namespace: vars.TEMPORAL_NAMESPACE,
      apiKey: vars.TEMPORAL_API_KEY,
      tls: vars.TEMPORAL_TLS ?? (vars.TEMPORAL_API_KEY !== undefined || vars.TEMPORAL_TLS_CERT !== undefined),
      clientCertificate:
        vars.TEMPORAL_TLS_CERT && vars.TEMPORAL_TLS_KEY
          ? { crt: vars.TEMPORAL_TLS_CERT, key: vars.TEMPORAL_TLS_KEY }
          : undefined,
      serverRootCa: vars.TEMPORAL_TLS_CA,
      serverName: vars.TEMPORAL_TLS_SERVER_NAME,
    },
    metricsPort: vars.METRICS_PORT,
    taskQueues: {
      orders: vars.ORDERS_TASK_QUEUE,
      inventory: vars.INVENTORY_TASK_QUEUE,
      payments: vars.PAYMENTS_TASK_QUEUE,
      shipping: vars.SHIPPING_TASK_QUEUE,
    },
    workflowBundle:
      vars.WORKFLOW_BUNDLE === undefined || vars.WORKFLOW_BUNDLE === 'none'
        ? vars.WORKFLOW_BUNDLE
        : path.resolve(vars.WORKFLOW_BUNDLE),
    embeddedServer: {
      port: vars.TEMPORAL_PORT,
      uiPort: vars.TEMPORAL_UI_PORT,
      dbFilename: path.join(dataDir, 'temporal.sqlite'),
    },
    webUiUrl: vars.TEMPORAL_UI_URL,
    dataDir,
    databaseUrls: {
      orders: vars.ORDERS_DATABASE_URL,
      inventory: vars.INVENTORY_DATABASE_URL,
      payments: vars.PAYMENTS_DATABASE_URL,
      shipping: vars.SHIPPING_DATABASE_URL,
    },
    api: {
      port: vars.PORT,
      host: vars.HOST,
      operatorToken: vars.OPERATOR_TOKEN,
      logLevel: vars.LOG_LEVEL,
      logFormat: vars.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
      waitTimeoutMs: vars.API_WAIT_MS,
      temporalTimeoutMs: vars.TEMPORAL_RPC_TIMEOUT_MS,
    },
  };
}
