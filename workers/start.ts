/**
 * `npm start`: the whole system in one process for development. With no `TEMPORAL_ADDRESS` it launches the
 * embedded Temporal server (history kept in `./data/`, Web UI on :8233); then the four services, each with its own
 * database (`./data/<service>.sqlite` unless a `<SERVICE>_DATABASE_URL` names a PostgreSQL one), and the API.
 *
 * Shutdown runs in dependency order on SIGINT or SIGTERM: the API stops taking requests, the workers drain, then
 * the server stops. A second signal exits at once.
 */
import { Client } from '@temporalio/client';
import { appSettings, createApp } from '../api/app';
import type { HttpServer } from '../api/server';
import { listen } from '../api/server';
import { loadConfig } from '../config';
import { connectToTemporal, reportFatalError } from '../config/startup';
import { temporalConnectionOptions } from '../config/temporal';
import type { DevServer } from './dev-server';
import { startDevServer } from './dev-server';
import { installWorkerRuntime } from './service-worker';
import { startServices } from './service-workers';

/** A signal this soon after the first one is a duplicate, not a request to force the exit. */
const repeatedSignalWindowMs = 1000;

/** Things to stop, in the order they were started; stopped last-first. */
type Stoppable = () => Promise<void>;

async function main(): Promise<void> {
  const config = loadConfig();
  // Signals are handled below, so that the workers drain before the server they talk to stops.
  installWorkerRuntime(config, { shutdownSignals: [] });

  const started: Stoppable[] = [];
  let stopping: Promise<void> | undefined;
  let firstSignalAt = 0;
  const stop = (reason: string) => {
    // Ctrl-C reaches this process twice (from the terminal, and forwarded by npm), so a repeat within a moment
    // is the same request; a later one is the user insisting.
    if (stopping) {
      if (Date.now() - firstSignalAt < repeatedSignalWindowMs) return stopping;
      console.error('Second signal: exiting now.');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    console.log(`\n${reason}: shutting down…`);
    stopping = stopAll(started).then(() => console.log('Stopped.'));
    return stopping;
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  try {
    let server: DevServer | undefined;
    if (!config.temporal.address) {
      console.log('Starting the embedded Temporal server…');
      server = await startDevServer({
        port: config.embeddedServer.port,
        uiPort: config.embeddedServer.uiPort,
        dbFilename: config.embeddedServer.dbFilename,
        namespace: config.temporal.namespace,
      });
      started.push(server.stop);
    }
    const connectionOptions = temporalConnectionOptions(config, server?.address);
    const webUiUrl = config.webUiUrl ?? server?.webUiUrl;
    const namespace = config.temporal.namespace;

    const { nativeConnection, connection } = await connectToTemporal(connectionOptions);
    started.push(() => nativeConnection.close());
    started.push(() => connection.close());
    const client = new Client({ connection, namespace });

    const services = await startServices({ connection: nativeConnection, namespace, client, config });
    started.push(services.shutdown);
    services.running.catch((error: unknown) => {
      console.error('A service failed:', error);
      process.exitCode = 1;
      void stop('service failure');
    });

    const http: HttpServer = await listen(createApp({ client, ...appSettings(config), webUiUrl }), config.api);
    started.push(http.close);

    printBanner({
      api: http.url,
      webUi: webUiUrl,
      temporal: `${connectionOptions.address} (namespace '${namespace}')`,
      server: server ? `embedded, ${server.binarySource}; history in ${config.embeddedServer.dbFilename}` : 'external',
      ...Object.fromEntries(services.services.map((service) => [service.name, service.database])),
    });
  } catch (error) {
    reportFatalError(error);
    await (stopping ?? stopAll(started));
  }
}

async function stopAll(started: Stoppable[]): Promise<void> {
  for (const stopOne of started.splice(0).reverse()) {
    try {
      await stopOne();
    } catch (error) {
      console.error('Error while stopping:', error);
    }
  }
}

function printBanner(lines: Record<string, string | undefined>): void {
  const rows = Object.entries(lines).filter((entry): entry is [string, string] => entry[1] !== undefined);
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log(
    [
      '',
      'temporal-saga is running',
      ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
      '',
      '  Place an order: POST <api>/orders (an example is in README.md, "Run it")',
      '  Stop:           Ctrl-C',
      '',
    ].join('\n'),
  );
}

main().catch(reportFatalError);
