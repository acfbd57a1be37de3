/**
 * The codec server's process. Run alone (`node dist/codec/server.js`, or `tsx codec/server.ts`) it serves the
 * configured keys on `CODEC_SERVER_HOST:CODEC_SERVER_PORT`; `npm start` runs it beside the workers through
 * {@link startCodecServer} and points the embedded Web UI at it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { listen } from '../api/server';
import type { Config } from '../config';
import { loadConfig } from '../config';
import { reportFatalError, StartupError } from '../config/startup';
import { isAddressInUse, portInUseError } from '../workers/start-checks';
import { createCodecServerApp } from './codec-server';
import { describePayloadEncryption, loadPayloadEncryption } from './data-converter';
import { readOrCreateSecretFile } from './secret-file';

export interface RunningCodecServer {
  /** The address a browser on this machine and the CLI call, e.g. `http://127.0.0.1:8234`. */
  url: string;
  /** The origins whose pages may call it. */
  allowedOrigins: string[];
  /** Where its token comes from: `CODEC_SERVER_TOKEN`, or the development token file's path. */
  tokenSource: string;
  /** Whether the Web UI on this machine may call without a token (development). */
  localWebUiWithoutToken: boolean;
  close: () => Promise<void>;
}

/** Where a development codec server keeps its token when none is configured. */
export function developmentTokenFile(dataDir: string): string {
  return path.join(dataDir, 'codec-server-token');
}

/**
 * The origins of the Web UI at `webUiUrl`: its own, and the same port under the other loopback name, since a user
 * types either `localhost` or `127.0.0.1`.
 */
export function webUiOrigins(webUiUrl: string | undefined): string[] {
  if (!webUiUrl) return [];
  const url = new URL(webUiUrl);
  const origins = [url.origin];
  const otherName = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' }[url.hostname];
  if (otherName) origins.push(`${url.protocol}//${otherName}${url.port ? `:${url.port}` : ''}`);
  return origins;
}

async function codecServerToken(config: Config): Promise<{ token: string; source: string }> {
  if (config.codecServer.token) return { token: config.codecServer.token, source: 'CODEC_SERVER_TOKEN' };
  if (config.production) {
    throw new StartupError(
      'Invalid configuration: CODEC_SERVER_TOKEN: required when NODE_ENV=production (at least 16 characters)',
    );
  }
  const file = developmentTokenFile(config.dataDir);
  const { text } = await readOrCreateSecretFile(file, () => `${randomBytes(24).toString('base64url')}\n`);
  return { token: text.trim(), source: file };
}

/**
 * Starts the codec server for `codec`, reachable from pages of `webUiUrl` (unless `CODEC_SERVER_ORIGINS` says
 * otherwise). Fails with a one-line {@link StartupError} when its port is taken or, in production, no token is set.
 */
export async function startCodecServer(
  config: Config,
  codec: PayloadCodec,
  { webUiUrl }: { webUiUrl?: string | undefined } = {},
): Promise<RunningCodecServer> {
  const { token, source } = await codecServerToken(config);
  const allowedOrigins = config.codecServer.allowedOrigins ?? webUiOrigins(webUiUrl);
  const localWebUiWithoutToken = !config.production;
  const app = createCodecServerApp({
    codec,
    namespace: config.temporal.namespace,
    access: { token, allowedOrigins, allowLoopbackWithoutToken: localWebUiWithoutToken },
  });
  const { host, port } = config.codecServer;
  const http = await listen(app, { host, port }).catch((error: unknown) => {
    throw isAddressInUse(error)
      ? portInUseError({ port, host, owner: 'the codec server', variable: 'CODEC_SERVER_PORT' })
      : error;
  });
  // A server on every interface is reached, from this machine, at the loopback address.
  const url = http.url.replace(/^http:\/\/(0\.0\.0\.0|\[::\])/, 'http://127.0.0.1');
  return { url, allowedOrigins, tokenSource: source, localWebUiWithoutToken, close: http.close };
}

/** For start-up lines: whom a running codec server answers. */
export function describeCodecServer({ allowedOrigins, tokenSource, localWebUiWithoutToken }: RunningCodecServer) {
  const pages = allowedOrigins.length ? `pages of ${allowedOrigins.join(', ')}` : 'no browser page';
  const tokenless = localWebUiWithoutToken && allowedOrigins.length ? ', without it from this machine' : '';
  return `callers with the token from ${tokenSource}; ${pages}${tokenless}`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const encryption = await loadPayloadEncryption(config);
  const server = await startCodecServer(config, encryption.codec, { webUiUrl: config.webUiUrl });
  console.log(`Codec server on ${server.url}, answering ${describeCodecServer(server)}`);
  console.log(`  payloads encrypted with ${describePayloadEncryption(encryption)}`);
  const stop = () => {
    void server.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch(reportFatalError);
}
