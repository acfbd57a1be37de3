/**
 * `npm start`: the whole system in one process for development. First the codec server (:8234), which decodes the
 * encrypted payloads for the Web UI; with no `TEMPORAL_ADDRESS`, the embedded Temporal server (history kept in
 * `./data/`, Web UI on :8233, pointed at the codec server); then the four services, each with its own database
 * (`./data/<service>.sqlite` unless a `<SERVICE>_DATABASE_URL` names a PostgreSQL one), and the API. Without a
 * configured payload key, a development key is made in `./data/` on the first start and read on every later one.
 *
 * Before it launches anything it checks that its ports are free, its data folder writable and its databases
 * answering, so that a start-up failure is one line and leaves no process. Shutdown runs in dependency order on
 * SIGINT or SIGTERM, or after a failure: the API stops taking requests, the workers drain, then the server stops.
 * A second signal exits at once.
 */
import { Client } from '@temporalio/client';
import { appSettings, createApp } from '../api/app';
import { listen } from '../api/server';
import { describePayloadEncryption, loadPayloadEncryption } from '../codec/data-converter';
import { describeCodecServer, startCodecServer } from '../codec/server';
import type { Config } from '../config';
import { loadConfig } from '../config';
import { connectToTemporal, reportFatalError } from '../config/startup';
import { temporalConnectionOptions } from '../config/temporal';
import type { DevServer } from './dev-server';
import { embeddedWebUiUrl, startDevServer } from './dev-server';
import { describeNexusWiring, ensureNexusEndpoints } from './nexus-endpoints';
import { checkServiceDatabase, installWorkerRuntime } from './service-worker';
import { allServices, startServices } from './service-workers';
import type { PlannedPort } from './start-checks';
import { checkFolderWritable, checkPortsFree, isAddressInUse, portInUseError } from './start-checks';

/** A signal this soon after the first one is a duplicate, not a request to force the exit. */
const repeatedSignalWindowMs = 1000;

/**
 * How long one part may take to stop before the next is stopped anyway: the workers' drain (their grace time is
 * 10 s) must not keep the server, and so the whole process, up for good.
 */
const stopBoundMs = 15_000;

/** Something started, stopped last-first. */
interface Part {
  name: string;
  stop: () => Promise<void>;
}

/** A signal arrived while the system was still starting: start-up ends, and what started is stopped. */
class StopRequested extends Error {}

async function main(): Promise<void> {
  // `npm start -- --nexus`: the services another team may own run in namespaces of their own, reached over Nexus.
  const config = loadConfig(
    process.argv.includes('--nexus') ? { ...process.env, SERVICE_WIRING: 'nexus' } : process.env,
  );
  // Before anything is launched, so that a taken port, an unwritable folder or a database that is down leaves
  // nothing behind (and is not followed by the lines of a server stopped as soon as it started).
  await checkPortsFree(plannedPorts(config));
  if (usesDataDir(config)) await checkFolderWritable(config.dataDir, 'DATA_DIR');
  for (const service of allServices) await checkServiceDatabase(service, config);
  const encryption = await loadPayloadEncryption(config);
  const { dataConverter } = encryption;
  // Signals are handled below, so that the workers drain before the server they talk to stops.
  installWorkerRuntime(config, { shutdownSignals: [] });

  const started: Part[] = [];
  let stopRequest: string | undefined;
  let stopping: Promise<void> | undefined;
  let firstSignalAt = 0;
  let running = false;
  const stop = (reason: string, exitCode: number) => {
    stopping ??= stopAll(started, reason).then(() => process.exit(exitCode));
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches this process twice (from the terminal, and forwarded by npm), so a repeat within a moment
    // is the same request; a later one is the user insisting.
    if (stopRequest) {
      if (Date.now() - firstSignalAt < repeatedSignalWindowMs) return;
      console.error('Second signal: exiting now.');
      process.exit(1);
    }
    stopRequest = signal;
    firstSignalAt = Date.now();
    // While starting, the start-up sequence notices at its next step and stops what it started.
    if (running) void stop(signal, 0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const add = (part: Part) => {
    started.push(part);
    if (stopRequest) throw new StopRequested();
  };

  try {
    // The API's settings before anything starts: in production, without an identity provider, nothing does.
    const { tokenSource, ...settings } = await appSettings(config);
    // Then the codec server, so that the embedded Web UI starts pointed at it.
    const embeddedUi = config.temporal.address ? undefined : embeddedWebUiUrl(config.embeddedServer.uiPort);
    const codecServer = await startCodecServer(config, encryption.codec, { webUiUrl: config.webUiUrl ?? embeddedUi });
    add({ name: 'the codec server', stop: codecServer.close });

    let server: DevServer | undefined;
    if (!config.temporal.address) {
      console.log('Starting the embedded Temporal server…');
      server = await startDevServer({
        port: config.embeddedServer.port,
        uiPort: config.embeddedServer.uiPort,
        dbFilename: config.embeddedServer.dbFilename,
        namespace: config.temporal.namespace,
        namespaces: Object.values(config.nexus ?? {}).map(({ namespace }) => namespace),
        codecEndpoint: codecServer.url,
      });
      add({ name: 'the Temporal server', stop: server.stop });
    }
    const connectionOptions = temporalConnectionOptions(config, server?.address);
    const webUiUrl = config.webUiUrl ?? server?.webUiUrl;
    const namespace = config.temporal.namespace;

    const { nativeConnection, connection } = await connectToTemporal(connectionOptions);
    add({ name: "the workers' connection", stop: () => nativeConnection.close() });
    add({ name: 'the client connection', stop: () => connection.close() });
    const client = new Client({ connection, namespace, dataConverter });
    // The embedded server's endpoints are made here; an external cluster's are its operator's (README).
    if (config.nexus && server) await ensureNexusEndpoints(connection, config.nexus, config.taskQueues);

    const services = await startServices({ connection: nativeConnection, namespace, client, config, dataConverter });
    add({ name: 'the workers', stop: services.shutdown });
    services.running.catch((error: unknown) => {
      console.error('A service failed:', error);
      void stop('a service failed', 1);
    });

    const http = await listen(createApp({ client, ...settings, webUiUrl }), config.api).catch((error: unknown) => {
      throw isAddressInUse(error) ? portInUseError(apiPort(config)) : error;
    });
    add({ name: 'the API', stop: http.close });
    running = true;

    printBanner(
      {
        api: http.url,
        webUi: webUiUrl,
        temporal: `${connectionOptions.address} (namespace '${namespace}')`,
        wiring: config.nexus ? describeNexusWiring(config.nexus) : undefined,
        server: server
          ? `embedded, ${server.binarySource}; history in ${config.embeddedServer.dbFilename}`
          : 'external',
        payloads: `encrypted with ${describePayloadEncryption(encryption)}`,
        codecServer: `${codecServer.url} (${describeCodecServer(codecServer)})`,
        tokens: `verified with ${tokenSource}`,
        ...Object.fromEntries(services.services.map((service) => [service.name, service.database])),
      },
      { tokensFromProvider: settings.tokens.keys.kind === 'jwks' },
    );
  } catch (error) {
    // A signal during start-up also reaches the server's process (the terminal signals the whole group), so a
    // step that failed after it is part of the stop, not a failure of its own.
    if (error instanceof StopRequested || stopRequest) return stop(stopRequest ?? 'signal', 0);
    reportFatalError(error);
    return stop('start-up failed', 1);
  }
}

function apiPort(config: Config): PlannedPort {
  return { port: config.api.port, host: config.api.host, owner: 'the API', variable: 'PORT' };
}

/** Every port this process will listen on (0 is any free port, which cannot be taken). */
function plannedPorts(config: Config): PlannedPort[] {
  const ports = [apiPort(config)];
  if (!config.temporal.address) {
    const { port, uiPort } = config.embeddedServer;
    ports.push(
      { port, host: '127.0.0.1', owner: 'the embedded Temporal server', variable: 'TEMPORAL_PORT' },
      { port: uiPort, host: '127.0.0.1', owner: 'the Temporal Web UI', variable: 'TEMPORAL_UI_PORT' },
    );
  }
  const { port: codecPort, host: codecHost } = config.codecServer;
  ports.push({ port: codecPort, host: codecHost, owner: 'the codec server', variable: 'CODEC_SERVER_PORT' });
  if (config.metricsPort !== undefined) {
    ports.push({ port: config.metricsPort, host: '0.0.0.0', owner: 'the metrics endpoint', variable: 'METRICS_PORT' });
  }
  return ports.filter(({ port }) => port !== 0);
}

/**
 * Whether anything keeps its data under `DATA_DIR`: the embedded server, a service without a database URL, or the
 * development payload key and codec server token.
 */
function usesDataDir(config: Config): boolean {
  return (
    !config.temporal.address ||
    allServices.some((service) => !config.databaseUrls[service]) ||
    config.payloadKeys.kind === 'development' ||
    !config.codecServer.token
  );
}

/** Stops every part, last started first; a part that overruns {@link stopBoundMs} is left, and the next stopped. */
async function stopAll(started: Part[], reason: string): Promise<void> {
  console.log(`\n${reason}: shutting down…`);
  for (const part of started.splice(0).reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const overran = new Promise<'overran'>((resolve) => (timer = setTimeout(() => resolve('overran'), stopBoundMs)));
    try {
      if ((await Promise.race([part.stop(), overran])) === 'overran') {
        console.error(`${part.name} did not stop within ${stopBoundMs / 1000} s; going on.`);
      }
    } catch (error) {
      console.error(`Error while stopping ${part.name}:`, error);
    } finally {
      clearTimeout(timer);
    }
  }
  console.log('Stopped.');
}

function printBanner(
  lines: Record<string, string | undefined>,
  { tokensFromProvider }: { tokensFromProvider: boolean },
): void {
  const rows = Object.entries(lines).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(
    [
      '',
      'temporal-saga is running',
      ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      '',
      tokensFromProvider
        ? '  A token:        from the identity provider (API_JWKS_URL)'
        : "  A token:        npm run --silent token -- customer-1   (--operator for an operator's)",
      '  Place an order: POST <api>/orders with it (an example is in README.md, "Run it")',
      '  Stop:           Ctrl-C',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  reportFatalError(error);
  process.exit(1);
});
