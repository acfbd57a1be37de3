/**
 * The system under chaos, each part a process of its own as in production: a Temporal dev server that keeps its
 * history in a file (so that it can be killed and started again on the same file and port), the four service
 * workers, and the API. The services keep their data in SQLite files in the run's folder, or in fresh PostgreSQL
 * databases of their own.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { loadPayloadEncryption } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import { sagaInterceptorModules } from '../../workers/saga';
import type { ServiceName } from '../../workers/service-worker';
import { serviceWorkerLogger, workflowsPath } from '../../workers/service-worker';
import { allServices } from '../../workers/service-workers';
import { resolveServerBinary, ServerUnavailableError, TemporalCli } from '../../workers/temporal-binary';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import type { ServiceDatabases } from '../postgres';
import { createServiceDatabases } from '../postgres';
import type { Launched } from '../processes';
import { cleanEnv, freePort, launch } from '../processes';
import { testOperatorToken, testTokenSecret } from '../tokens';
import type { ProcessDeath } from './supervised-process';
import { SupervisedProcess } from './supervised-process';

const projectRoot = path.resolve(__dirname, '..', '..');
const namespace = 'default';

export interface ChaosSystem {
  /** The run's folder: the dev server's history file, the SQLite databases, the workflow bundle. */
  dir: string;
  apiUrl: string;
  /** The run's own client of the Temporal server, for progress and the final checks. */
  client: Client;
  server: SupervisedProcess;
  workers: Record<ServiceName, SupervisedProcess>;
  api: SupervisedProcess;
  /** The environment the services run with: their database URLs among it. */
  env: NodeJS.ProcessEnv;
  /** Ends every connection to the services' PostgreSQL databases; undefined on SQLite. */
  databasePrefix: string | undefined;
  storage: ServiceDatabases;
  /** Every part, the server first. */
  parts: () => SupervisedProcess[];
  /** Stops the API, the workers, then the server; closes the client. */
  stop: () => Promise<void>;
}

/** Whether the server answers a call within a second. */
async function answers(client: Client): Promise<boolean> {
  await client.connection.withDeadline(Date.now() + 1000, () =>
    client.workflowService.describeNamespace({ namespace }),
  );
  return true;
}

/**
 * `temporal server start-dev` on a file, as workers/dev-server.ts starts it for `npm start`, but as a process of
 * the run's own, so that it can be killed with SIGKILL: the project's search attributes are registered on the
 * command line, as there.
 */
async function devServerCommand(dir: string, port: number): Promise<{ command: string; args: string[] }> {
  const binary = await resolveServerBinary(TemporalCli);
  if (binary.executable.type !== 'existing-path') throw new ServerUnavailableError(TemporalCli, binary.skipped);
  return {
    command: binary.executable.path,
    args: [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--db-filename',
      path.join(dir, 'temporal.sqlite'),
      '--namespace',
      namespace,
      '--log-level',
      'error',
      ...searchAttributeKeys.flatMap((key) => [
        '--search-attribute',
        `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`,
      ]),
    ],
  };
}

export async function startChaosSystem({
  postgresUrl,
  onDeath,
  clock,
}: {
  postgresUrl: string | undefined;
  onDeath: (death: ProcessDeath) => void;
  clock: () => number;
}): Promise<ChaosSystem> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-chaos-'));
  const storage = await createServiceDatabases(postgresUrl);
  const address = `127.0.0.1:${await freePort()}`;
  // No key is configured (a fresh shell's environment): every process reads the development key it makes in `dir`.
  const { dataConverter } = await loadPayloadEncryption(loadConfig(cleanEnv({ DATA_DIR: dir })));
  const client = new Client({ connection: Connection.lazy({ address }), namespace, dataConverter });
  const supervised = (
    name: string,
    launchOne: () => Launched,
    ready: (launched: Launched) => Promise<boolean> | boolean,
  ) => new SupervisedProcess({ name, launch: launchOne, ready, onDeath, clock });

  const { command, args } = await devServerCommand(dir, Number(address.split(':')[1]));
  const server = supervised(
    'temporal',
    () => launch(command, args, cleanEnv()),
    () => answers(client),
  );
  /** Each part, once launched: stopped last first, also when a later one fails to start. */
  const started: SupervisedProcess[] = [];
  const stop = async () => {
    for (const part of started.splice(0).reverse()) await part.stop();
    await client.connection.close();
  };
  try {
    started.push(server);
    await server.start();

    // Bundled once, so that a restarted orders or shipping worker starts in a second instead of running webpack.
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    const bundle = await bundleWorkflowCode({
      workflowsPath,
      workflowInterceptorModules: sagaInterceptorModules,
      logger: serviceWorkerLogger,
    });
    await writeFile(bundlePath, bundle.code);
    const env = cleanEnv({
      ...storage.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      DATA_DIR: dir,
      WORKFLOW_BUNDLE: bundlePath,
    });

    const workers = Object.fromEntries(
      allServices.map((service) => [
        service,
        supervised(
          service,
          () => launch(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'workers', `${service}.ts`)], env),
          // The line runServiceProcess prints once the worker is created and about to poll.
          (launched) => launched.output().includes(`${service} service: polling`),
        ),
      ]),
    ) as Record<ServiceName, SupervisedProcess>;
    started.push(...allServices.map((service) => workers[service]));
    await Promise.all(allServices.map((service) => workers[service].start()));

    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    // The traffic comes from one address, by the hundred: the rate limits are not what a chaos run tests. Its
    // customers' tokens are signed with the test secret (test/tokens.ts); the final checks read as the operator.
    const apiEnv = {
      ...env,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      API_RATE_LIMIT_STARTS: '0',
      API_RATE_LIMIT_READS: '0',
      API_TOKEN_SECRET: testTokenSecret,
      OPERATOR_TOKEN: testOperatorToken,
    };
    const api = supervised(
      'api',
      () => launch(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'api', 'server.ts')], apiEnv),
      async () => (await fetch(`${apiUrl}/healthz`)).ok,
    );
    started.push(api);
    await api.start();

    const databasePrefix = storage.env.ORDERS_DATABASE_URL
      ? new URL(storage.env.ORDERS_DATABASE_URL).pathname.slice(1).replace(/orders$/, '')
      : undefined;
    return {
      dir,
      apiUrl,
      client,
      server,
      workers,
      api,
      env,
      databasePrefix,
      storage,
      parts: () => [server, ...allServices.map((service) => workers[service]), api],
      stop,
    };
  } catch (error) {
    await stop();
    await storage.drop();
    throw error;
  }
}
