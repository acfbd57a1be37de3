/**
 * The API's HTTP server. Run alone (`tsx api/server.ts`) it connects to the Temporal server in the configuration;
 * `npm start` runs it beside the workers through {@link listen}.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import { describePayloadEncryption, loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';
import { reportFatalError } from '../config/startup';
import { temporalConnectionOptions } from '../config/temporal';
import { appSettings, createApp } from './app';

export interface HttpServer {
  /** e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** Stops accepting connections, ends idle keep-alive ones, and waits for requests in flight. */
  close: () => Promise<void>;
}

/** Listens on `port` (0 for a free one). */
export function listen(app: Express, { host, port }: { host: string; port: number }): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server: Server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address() as AddressInfo;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeIdleConnections();
          }),
      });
    });
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const encryption = await loadPayloadEncryption(config);
  if (encryption.createdDevelopmentKey) console.log(`Payloads encrypted with ${describePayloadEncryption(encryption)}`);
  // Lazy: the API comes up, and says 503 with Retry-After, even while Temporal is down; it connects when it can.
  const connection = Connection.lazy(temporalConnectionOptions(config));
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: encryption.dataConverter,
  });
  const { tokenSource, ...settings } = await appSettings(config);
  const http = await listen(createApp({ client, ...settings }), config.api);
  console.log(`API listening on ${http.url}; tokens verified with ${tokenSource}`);
  const stop = () => {
    void http.close().then(() => connection.close());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch(reportFatalError);
}
