/**
 * The embedded Temporal server: `temporal server start-dev` (the server, SQLite persistence and the Web UI in one
 * binary), launched through `@temporalio/testing` with the binary the resolver found. `npm start` runs it on fixed
 * ports with a SQLite file; tests and benchmarks run it in memory on free ports.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { searchAttributeKeys } from '../workflows/search-attributes';
import type { ResolveOptions } from './temporal-binary';
import { resolveServerBinary, ServerUnavailableError, TemporalCli } from './temporal-binary';

export interface DevServerOptions {
  /** gRPC port. @default a free port */
  port?: number;
  /** Serve the Web UI on this port. @default no Web UI */
  uiPort?: number;
  /** Persist to this SQLite file (its folder is created). @default in memory */
  dbFilename?: string;
  /** @default 'default' */
  namespace?: string;
  /** Further namespaces the server creates at start (`--namespace`): the Nexus wiring's services'. @default none */
  namespaces?: readonly string[];
  /** The codec server the Web UI decodes payloads with (`--ui-codec-endpoint`). @default none: payloads as stored */
  codecEndpoint?: string;
  /** Passed to the binary resolver. */
  resolve?: ResolveOptions;
}

export interface DevServer {
  /** `host:port` to connect to. */
  address: string;
  namespace: string;
  /** The Web UI's base URL, when it runs. */
  webUiUrl: string | undefined;
  /** Where the binary came from. */
  binarySource: string;
  /** The `temporal` CLI binary, for commands against this server; absent when the SDK downloaded it. */
  cliPath: string | undefined;
  /** Stops the server process and waits for it to exit. */
  stop: () => Promise<void>;
}

/** The Web UI's base URL for a dev server started with `uiPort`; undefined without a Web UI. */
export function embeddedWebUiUrl(uiPort: number | undefined): string | undefined {
  return uiPort ? `http://localhost:${uiPort}` : undefined;
}

/** Starts a dev server with the project's search attributes registered. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const binary = await resolveServerBinary(TemporalCli, options.resolve);
  if (options.dbFilename) await mkdir(path.dirname(options.dbFilename), { recursive: true });

  let environment: TestWorkflowEnvironment;
  try {
    environment = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: binary.executable,
        namespace,
        ip: '127.0.0.1',
        ...(options.port ? { port: options.port } : {}),
        ...(options.uiPort ? { ui: true, uiPort: options.uiPort } : { ui: false }),
        ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
        searchAttributes: [...searchAttributeKeys],
        extraArgs: [
          ...(options.namespaces ?? []).flatMap((name) => ['--namespace', name]),
          ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
        ],
        log: { format: 'pretty', level: 'error' },
      },
    });
  } catch (error) {
    if (binary.executable.type === 'existing-path') throw error;
    throw new ServerUnavailableError(TemporalCli, [
      ...binary.skipped,
      { source: binary.source, failure: (error as Error).message.split('\n')[0] ?? String(error) },
    ]);
  }

  return {
    address: environment.address,
    namespace,
    webUiUrl: embeddedWebUiUrl(options.uiPort),
    binarySource: binary.source,
    cliPath: binary.executable.type === 'existing-path' ? binary.executable.path : undefined,
    stop: () => environment.teardown(),
  };
}
