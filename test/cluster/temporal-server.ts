/**
 * The full Temporal server (not the dev server) on PostgreSQL, as a self-hosted cluster runs it: built from the Go
 * module by scripts/temporal-cluster/install.sh, its two databases created and migrated with the module's own SQL
 * tool and schema, started with a config file (its HTTP API on, which Nexus needs), then the namespaces and the
 * search attributes registered. It can be killed with SIGKILL and started again on the same databases.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { google } from '@temporalio/proto';
import { eventually } from '../http';
import { registerSearchAttributes } from '../search-attributes';

const projectRoot = path.resolve(__dirname, '..', '..');
const binDir = path.join(projectRoot, '.temporal', 'cluster');

export interface ClusterServer {
  /** `host:port` of the frontend. */
  address: string;
  namespace: string;
  /** The server's log so far (for failures). */
  log: () => Promise<string>;
  /** SIGKILL: no shutdown, in-flight work cut off. */
  kill: () => Promise<void>;
  /** Starts the server again on the same databases and ports; resolves once it answers. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
}

interface Options {
  /** A PostgreSQL server URL (user with CREATEDB). */
  postgresUrl: string;
  /** Prefix of the two databases this server gets. */
  databasePrefix: string;
  /** Where the config and the log go. */
  workDir: string;
  /** Namespaces registered beside `default`: the Nexus wiring's services'. @default none */
  namespaces?: readonly string[];
}

/** The Temporal module's source folder (schema and config), as install.sh prints it. */
function moduleDir(): string {
  return execFileSync(path.join(projectRoot, 'scripts', 'temporal-cluster', 'install.sh'), { encoding: 'utf8' }).trim();
}

function migrate(module: string, postgres: URL, database: string, schema: 'temporal' | 'visibility'): void {
  const args = [
    '--plugin',
    'postgres12',
    '--ep',
    postgres.hostname,
    '--port',
    postgres.port || '5432',
    '--user',
    decodeURIComponent(postgres.username),
    '--password',
    decodeURIComponent(postgres.password),
    '--db',
    database,
  ];
  const sql = (...command: string[]) =>
    execFileSync(path.join(binDir, 'sql'), [...args, ...command], { stdio: 'pipe' });
  sql('create-database');
  sql('setup-schema', '-v', '0.0');
  sql('update-schema', '-d', path.join(module, 'schema', 'postgresql', 'v12', schema, 'versioned'));
}

/**
 * A free port below 32768: the server keeps membership ports in a PostgreSQL `smallint`, so ports from the
 * kernel's ephemeral range (which `listen(0)` hands out) do not fit.
 */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(candidate, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}

async function serverConfig(postgres: URL, databases: { main: string; visibility: string }, dynamicConfig: string) {
  const port = freeLowPort;
  const [frontend, frontendHttp, frontendMembership, history, historyMembership, matching, matchingMembership] =
    await Promise.all([port(), port(), port(), port(), port(), port(), port()]);
  const [worker, workerMembership, metrics, pprof] = await Promise.all([port(), port(), port(), port()]);
  const datastore = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${postgres.hostname}:${postgres.port || '5432'}"
        connectProtocol: tcp
        user: "${decodeURIComponent(postgres.username)}"
        password: "${decodeURIComponent(postgres.password)}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (grpcPort: number, membershipPort: number, extra = '') => `
    rpc:
      grpcPort: ${grpcPort}
      membershipPort: ${membershipPort}
      bindOnLocalHost: true${extra}`;
  // Based on the module's config/development-postgres12.yaml, with free ports and no archival.
  const yaml = `log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:${datastore(databases.main, 20)}
    postgres-visibility:${datastore(databases.visibility, 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  pprof:
    port: ${pprof}
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:${metrics}"
services:
  frontend:${service(frontend, frontendMembership, `\n      httpPort: ${frontendHttp}`)}
  matching:${service(matching, matchingMembership)}
  history:${service(history, historyMembership)}
  worker:${service(worker, workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${frontend}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "${dynamicConfig}"
  pollInterval: 10s
`;
  return { yaml, address: `127.0.0.1:${frontend}` };
}

/** Dynamic config: search attributes usable as soon as they are added (as the dev server does). */
const dynamicConfigYaml = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
    constraints: {}
`;

export async function startClusterServer({
  postgresUrl,
  databasePrefix,
  workDir,
  namespaces = [],
}: Options): Promise<ClusterServer> {
  const postgres = new URL(postgresUrl);
  const module = moduleDir();
  const databases = { main: `${databasePrefix}_temporal`, visibility: `${databasePrefix}_temporal_visibility` };
  migrate(module, postgres, databases.main, 'temporal');
  migrate(module, postgres, databases.visibility, 'visibility');

  const dynamicConfig = path.join(workDir, 'dynamicconfig.yaml');
  await writeFile(dynamicConfig, dynamicConfigYaml);
  const { yaml, address } = await serverConfig(postgres, databases, dynamicConfig);
  const configFile = path.join(workDir, 'temporal-server.yaml');
  await writeFile(configFile, yaml);
  const logFile = path.join(workDir, 'temporal-server.log');
  const namespace = 'default';

  let child: ChildProcess | undefined;
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  const start = async () => {
    const log = createWriteStream(logFile, { flags: 'a' });
    child = spawn(path.join(binDir, 'server'), ['--config-file', configFile, '--allow-no-auth', 'start'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    const died = new Promise<never>((_, reject) =>
      child?.once('exit', () => {
        void readFile(logFile, 'utf8').then((log) => reject(new Error(`The Temporal server exited:\n${log}`)));
      }),
    );
    const answers = eventually(
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        try {
          await connection.workflowService.getSystemInfo({});
          return true;
        } finally {
          await connection.close();
        }
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await Promise.race([answers, died]);
    died.catch(() => undefined); // a later exit (kill, stop) is expected
  };

  await start();
  const connection = await Connection.connect({ address });
  try {
    for (const name of [namespace, ...namespaces]) {
      await connection.workflowService.registerNamespace({
        namespace: name,
        workflowExecutionRetentionPeriod: google.protobuf.Duration.fromObject({ seconds: 24 * 60 * 60 }),
      });
    }
    await registerSearchAttributes(connection, namespace);
    // A new namespace is served once every frontend's namespace cache has it.
    for (const name of [namespace, ...namespaces]) {
      await eventually(
        async () => {
          await connection.workflowService.listWorkflowExecutions({ namespace: name, pageSize: 1 });
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    }
  } finally {
    await connection.close();
  }

  return {
    address,
    namespace,
    log: () => readFile(logFile, 'utf8'),
    kill: async () => {
      child?.kill('SIGKILL');
      await exited();
    },
    restart: start,
    stop: async () => {
      child?.kill('SIGTERM');
      await exited();
    },
  };
}
