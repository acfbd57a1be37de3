/**
 * Process configuration, read once from the environment and validated with zod so that a bad value stops the
 * process at start with the variable's name, not later with a confusing connection error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { PayloadKey } from '../codec/payload-keys';
import { developmentKeyFile, parseKeyFile, parsePayloadKeys } from '../codec/payload-keys';
import type { NexusEndpoints, NexusServiceName, TaskQueues } from '../workflows/task-queues';
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
/** `true` or `false`, spelled out: an empty value (`TEMPORAL_TLS=` in an env file) is a mistake, not a choice. */
const trueOrFalse = z
  .enum(['true', 'false'], { error: 'expected true or false (unset for the default)' })
  .transform((value) => value === 'true');

/** `PAYLOAD_KEYS`: `<id>:<base64 of 32 bytes>`, comma-separated, newest first; empty is unset. */
const payloadKeyList = z
  .string()
  .transform((list, context): PayloadKey[] | undefined => {
    if (list.trim() === '') return undefined;
    const parsed = parsePayloadKeys(list.split(','));
    if (parsed.success) return parsed.keys;
    for (const message of parsed.problems) context.addIssue({ code: 'custom', message });
    return z.NEVER;
  })
  .optional();
/** `PAYLOAD_KEY_FILE`: a file of keys, one a line, read at start; empty is unset. */
const payloadKeyFile = z
  .string()
  .transform((file, context): { file: string; keys: PayloadKey[] } | undefined => {
    if (file.trim() === '') return undefined;
    let text: string;
    try {
      text = readFileSync(path.resolve(file), 'utf8');
    } catch (error) {
      context.addIssue({ code: 'custom', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code}` });
      return z.NEVER;
    }
    const parsed = parseKeyFile(text);
    if (parsed.success && parsed.keys.length > 0) return { file: path.resolve(file), keys: parsed.keys };
    const problems = parsed.success ? ['holds no key'] : parsed.problems;
    for (const message of problems) context.addIssue({ code: 'custom', message: `${file}: ${message}` });
    return z.NEVER;
  })
  .optional();
/** Comma-separated origins (`scheme://host[:port]`), as a browser sends them in `Origin`. */
const originList = z
  .string()
  .transform((list, context) => {
    const origins = list
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    for (const origin of origins) {
      if (URL.canParse(origin) && new URL(origin).origin === origin) continue;
      context.addIssue({ code: 'custom', message: `'${origin}' is not an origin such as http://localhost:8080` });
    }
    return origins;
  })
  .optional();

/** Requests a client may make a minute: a whole number, 0 for no limit. */
const requestsPerMinute = z
  .string()
  .regex(/^\d{1,6}$/, 'expected requests a minute, 0 to 999999 (0: no limit)')
  .transform(Number);
/**
 * `API_TRUST_PROXY`: the proxies in front of the API whose `X-Forwarded-For` names the client, as express's
 * `trust proxy` takes them: a hop count, or comma-separated addresses, subnets (`10.0.0.0/8`) and the names
 * `loopback`, `linklocal`, `uniquelocal`. Never "every proxy": then any client could pick the address it counts as.
 */
const trustedProxies = z.string().transform((value, context): number | string[] => {
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixValid = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family !== 0 && prefixValid && rest.length === 0) continue;
    context.addIssue({
      code: 'custom',
      message: `'${entry}' is not a hop count, an address, a subnet, loopback, linklocal or uniquelocal`,
    });
  }
  return entries;
});

const namespaceName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'expected a Temporal namespace name');
/** Temporal's rule for a Nexus endpoint's name. */
const endpointName = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9-]*[a-zA-Z0-9]$/, 'expected letters, digits and hyphens, starting with a letter');

const EnvSchema = z
  .object({
    TEMPORAL_ADDRESS: hostAndPort.optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_TLS: trueOrFalse.optional(),
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
    API_RATE_LIMIT_STARTS: requestsPerMinute.default(60),
    API_RATE_LIMIT_READS: requestsPerMinute.default(600),
    API_TRUST_PROXY: trustedProxies.optional(),
    API_TOKEN_SECRET: z.string().min(32, 'use at least 32 characters, e.g. openssl rand -base64 32').optional(),
    API_JWKS_URL: z.url({ protocol: /^https?$/, error: 'expected the http(s) URL of a JSON Web Key Set' }).optional(),
    API_TOKEN_ISSUER: z.string().min(1).default('temporal-saga'),
    API_TOKEN_AUDIENCE: z.string().min(1).default('temporal-saga-api'),
    API_OPERATOR_ROLE: z.string().min(1).default('operator'),
    TEMPORAL_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2500),
    METRICS_PORT: port.optional(),
    ORDERS_TASK_QUEUE: taskQueue.default(defaultTaskQueues.orders),
    INVENTORY_TASK_QUEUE: taskQueue.default(defaultTaskQueues.inventory),
    PAYMENTS_TASK_QUEUE: taskQueue.default(defaultTaskQueues.payments),
    SHIPPING_TASK_QUEUE: taskQueue.default(defaultTaskQueues.shipping),
    SERVICE_WIRING: z.enum(['task-queues', 'nexus']).default('task-queues'),
    INVENTORY_NAMESPACE: namespaceName.default('inventory'),
    PAYMENTS_NAMESPACE: namespaceName.default('payments'),
    SHIPPING_NAMESPACE: namespaceName.default('shipping'),
    INVENTORY_NEXUS_ENDPOINT: endpointName.default('inventory'),
    PAYMENTS_NEXUS_ENDPOINT: endpointName.default('payments'),
    SHIPPING_NEXUS_ENDPOINT: endpointName.default('shipping'),
    WORKFLOW_CACHE_SIZE: z.coerce.number().int().min(2).max(100_000).default(250),
    WORKFLOW_STACK_TRACES: z.enum(['on', 'off']).default('off'),
    WORKFLOW_BUNDLE: z
      .string()
      .min(1)
      .refine((value) => value === 'none' || existsSync(path.resolve(value)), 'no bundle at that path (npm run build)')
      .optional(),
    NODE_ENV: z.string().optional(),
    PAYLOAD_KEYS: payloadKeyList,
    PAYLOAD_KEY_FILE: payloadKeyFile,
    CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
    CODEC_SERVER_PORT: port.default(8234),
    CODEC_SERVER_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
    CODEC_SERVER_ORIGINS: originList,
  })
  .refine((vars) => (vars.TEMPORAL_TLS_CERT === undefined) === (vars.TEMPORAL_TLS_KEY === undefined), {
    message: 'set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (a client certificate needs its key), or neither',
    path: ['TEMPORAL_TLS_KEY'],
  })
  .refine((vars) => vars.NODE_ENV !== 'production' || vars.PAYLOAD_KEYS || vars.PAYLOAD_KEY_FILE, {
    message:
      'required when NODE_ENV=production: <id>:<base64 of 32 random bytes>, newest first (or a file in PAYLOAD_KEY_FILE)',
    path: ['PAYLOAD_KEYS'],
  })
  .refine((vars) => !(vars.API_JWKS_URL && vars.API_TOKEN_SECRET), {
    message: 'set API_JWKS_URL or API_TOKEN_SECRET, not both: tokens are verified with one or the other',
    path: ['API_TOKEN_SECRET'],
  })
  .refine((vars) => !vars.PAYLOAD_KEYS?.some(({ id }) => vars.PAYLOAD_KEY_FILE?.keys.some((key) => key.id === id)), {
    message: 'a key id is both here and in PAYLOAD_KEYS: give each key one id',
    path: ['PAYLOAD_KEY_FILE'],
  });

/**
 * The keys that encrypt payloads: configured (`PAYLOAD_KEYS`, then `PAYLOAD_KEY_FILE`'s, newest first), or, in
 * development with none configured, a key file the first process makes under the data folder.
 */
export type PayloadKeysConfig =
  | {
      kind: 'configured';
      /** Newest first: the first encrypts, every one decrypts. */
      keys: readonly PayloadKey[];
      /** Where they came from, for start-up lines, e.g. `PAYLOAD_KEYS`. */
      source: string;
    }
  | {
      kind: 'development';
      /** @default <dataDir>/payload-keys */
      file: string;
    };

/** Where each service another team may own runs, and the endpoint that reaches it. */
export type NexusWiring = Record<NexusServiceName, { namespace: string; endpoint: string }>;

/** The endpoints a saga reaches the services through in `wiring`: none without Nexus. */
export function nexusEndpointsOf(wiring: NexusWiring | undefined): NexusEndpoints {
  if (!wiring) return {};
  return Object.fromEntries(Object.entries(wiring).map(([service, { endpoint }]) => [service, endpoint]));
}

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
  /**
   * With `SERVICE_WIRING=nexus`: the namespace each of inventory, payments and shipping runs in
   * (`<SERVICE>_NAMESPACE`, @default the service's name) and the Nexus endpoint the order saga reaches it through
   * (`<SERVICE>_NEXUS_ENDPOINT`, @default the service's name), whose target is that namespace and the service's task
   * queue. Undefined (the default, `task-queues`): every service runs in `TEMPORAL_NAMESPACE`, reached on its task
   * queue.
   */
  nexus: NexusWiring | undefined;
  /** Port of the workers' Prometheus endpoint (`/metrics`); unset: no endpoint. */
  metricsPort: number | undefined;
  /**
   * The workflow code a worker runs: a prebuilt bundle's path, or `'none'` to bundle from source at start.
   * @default the bundle `npm run build` writes beside the compiled code, when there is one; else bundling at start
   */
  workflowBundle: string | undefined;
  /**
   * How many sagas a worker keeps in memory between their workflow tasks (`maxCachedWorkflows`): what bounds a
   * worker's memory however many sagas wait. One evicted runs again from its history at its next task. Kept small
   * on purpose: the SDK gives every cached workflow an AsyncLocalStorage, and Node 20 tags every promise created
   * on the workflow thread with every one of them, so a cached saga's memory and each promise's cost grow with the
   * cache (sdk-typescript#1432). @default 250
   */
  workflowCacheSize: number;
  /**
   * Whether the workers record a stack trace for every promise a saga creates, for the Web UI's Stack Trace tab
   * (the `__stack_trace` query). On, that recording was over half of a workflow thread's CPU during a backlog drain
   * and a quarter at 5 orders/s; off, the query answers "not enabled". Errors keep their stacks either way
   * (workers/saga/stack-traces.ts). @default false
   */
  workflowStackTraces: boolean;
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
  /** `NODE_ENV=production`: no development fallbacks; a payload key and the codec server's token are required. */
  production: boolean;
  /** The keys of the payload codec. */
  payloadKeys: PayloadKeysConfig;
  /** The codec server, which decodes payloads for the Web UI and the `temporal` CLI. */
  codecServer: {
    /** @default 127.0.0.1 */
    host: string;
    /** @default 8234 */
    port: number;
    /**
     * The bearer token callers must send. Unset: in development, one kept in `<dataDir>/codec-server-token`
     * (made on first start); in production the codec server does not start.
     */
    token: string | undefined;
    /**
     * Origins whose pages may call it (CORS): the Web UI's. @default the Web UI's origin (`TEMPORAL_UI_URL`, or the
     * embedded one under `npm start`); none without one
     */
    allowedOrigins: string[] | undefined;
  };
  api: {
    /** @default 3000 */
    port: number;
    /** @default 127.0.0.1 */
    host: string;
    /** A bearer token that makes its caller an operator; unset: only a JWT with the operator role does. */
    operatorToken: string | undefined;
    /** @default 'info' */
    logLevel: string;
    /** `pretty`: a short line per request, for a person; `json`: one object per line. @default pretty on a terminal */
    logFormat: 'json' | 'pretty';
    /** How long `?wait=` may hold a request before answering 202. @default 5000 */
    waitTimeoutMs: number;
    /** Any other Temporal call must answer within this, or the request gets a 503. @default 2500 */
    temporalTimeoutMs: number;
    /** Each client's starts and reads a minute (0: no limit). @default 60 starts, 600 reads */
    rateLimits: { startsPerMinute: number; readsPerMinute: number };
    /** The proxies trusted to name the client in `X-Forwarded-For`. @default false: none */
    trustProxy: number | string[] | false;
    /** How callers' JWTs are verified (api/access-tokens.ts). */
    tokens: {
      /** The identity provider's JSON Web Key Set (required in production). */
      jwksUrl: string | undefined;
      /**
       * HMAC secret of development tokens (HS256). Unset, with no JWKS URL: one kept in `<dataDir>/api-token-secret`.
       */
      secret: string | undefined;
      /** @default 'temporal-saga' */
      issuer: string;
      /** @default 'temporal-saga-api' */
      audience: string;
      /** The role (in the `roles` claim) that makes a caller an operator. @default 'operator' */
      operatorRole: string;
    };
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
    workflowCacheSize: vars.WORKFLOW_CACHE_SIZE,
    workflowStackTraces: vars.WORKFLOW_STACK_TRACES === 'on',
    nexus:
      vars.SERVICE_WIRING === 'nexus'
        ? {
            inventory: { namespace: vars.INVENTORY_NAMESPACE, endpoint: vars.INVENTORY_NEXUS_ENDPOINT },
            payments: { namespace: vars.PAYMENTS_NAMESPACE, endpoint: vars.PAYMENTS_NEXUS_ENDPOINT },
            shipping: { namespace: vars.SHIPPING_NAMESPACE, endpoint: vars.SHIPPING_NEXUS_ENDPOINT },
          }
        : undefined,
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
    production: vars.NODE_ENV === 'production',
    payloadKeys: payloadKeysConfig(vars.PAYLOAD_KEYS, vars.PAYLOAD_KEY_FILE, dataDir),
    codecServer: {
      host: vars.CODEC_SERVER_HOST,
      port: vars.CODEC_SERVER_PORT,
      token: vars.CODEC_SERVER_TOKEN,
      allowedOrigins: vars.CODEC_SERVER_ORIGINS,
    },
    api: {
      port: vars.PORT,
      host: vars.HOST,
      operatorToken: vars.OPERATOR_TOKEN,
      logLevel: vars.LOG_LEVEL,
      logFormat: vars.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
      waitTimeoutMs: vars.API_WAIT_MS,
      temporalTimeoutMs: vars.TEMPORAL_RPC_TIMEOUT_MS,
      rateLimits: { startsPerMinute: vars.API_RATE_LIMIT_STARTS, readsPerMinute: vars.API_RATE_LIMIT_READS },
      trustProxy: vars.API_TRUST_PROXY ?? false,
      tokens: {
        jwksUrl: vars.API_JWKS_URL,
        secret: vars.API_TOKEN_SECRET,
        issuer: vars.API_TOKEN_ISSUER,
        audience: vars.API_TOKEN_AUDIENCE,
        operatorRole: vars.API_OPERATOR_ROLE,
      },
    },
  };
}

function payloadKeysConfig(
  listed: readonly PayloadKey[] | undefined,
  filed: { file: string; keys: readonly PayloadKey[] } | undefined,
  dataDir: string,
): PayloadKeysConfig {
  if (!listed && !filed) return { kind: 'development', file: developmentKeyFile(dataDir) };
  const keys = [...(listed ?? []), ...(filed?.keys ?? [])];
  const sources = [...(listed ? ['PAYLOAD_KEYS'] : []), ...(filed ? [`PAYLOAD_KEY_FILE ${filed.file}`] : [])];
  return { kind: 'configured', keys, source: sources.join(' and ') };
}
