/** Helpers for tests that run the project's commands as real child processes. */
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { testEnv } from './env';
import { eventually } from './http';

const projectRoot = path.resolve(__dirname, '..');

/** The environment a fresh shell would give `npm start`: none of what the test run's global setup added. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.values(testEnv)) if (!(name in extra)) delete env[name];
  return env;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Launched {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** What was written to stderr so far. */
  errors: () => string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
}

/** Spawns `command` in a process group of its own, as a terminal does, so that the group can get Ctrl-C. */
export function launch(command: string, args: string[], env: NodeJS.ProcessEnv): Launched {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    errors += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => output, errors: () => errors, exited };
}

/** Every living descendant of `pid`. */
export function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

/** Every living process of the process group `pgid` (a {@link launch}ed command's pid); zombies are dead. */
export function groupMembers(pgid: number): number[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, state]) => Number(group) === pgid && !state?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a service as its own process and waits until it polls: from source (`workers/<service>.ts` through
 * tsx), or, with `built`, the compiled `dist/workers/<service>.js` that `npm run build` writes.
 */
export async function startServiceProcess(
  service: string,
  env: NodeJS.ProcessEnv,
  { built = false }: { built?: boolean } = {},
): Promise<Launched> {
  const launched = built
    ? launch(process.execPath, [path.join(projectRoot, 'dist', 'workers', `${service}.js`)], env)
    : launch(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'workers', `${service}.ts`)], env);
  await eventually(async () => (launched.output().includes(`${service} service: polling`) ? true : undefined), {
    timeoutMs: 30_000,
  }).catch(() => {
    throw new Error(`The ${service} process did not start:\n${launched.output()}`);
  });
  return launched;
}

export async function stopProcess(launched: Launched, signal: NodeJS.Signals): Promise<void> {
  if (launched.child.exitCode !== null || launched.child.signalCode !== null) return;
  launched.child.kill(signal);
  await launched.exited;
}

/**
 * A list for the processes a suite's tests launch: whatever a test leaves running is killed (SIGKILL) after it, so
 * that a failed test does not leave a worker polling into the next. Call it in a `describe` or at the top level.
 */
export function killedAfterEachTest(): Launched[] {
  const launched: Launched[] = [];
  afterEach(async () => {
    for (const child of launched.splice(0)) await stopProcess(child, 'SIGKILL');
  });
  return launched;
}
