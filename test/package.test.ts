/**
 * The framework as another project gets it: built with its declarations, packed (`npm pack`), installed from the
 * tarball into a new project in a temporary folder outside this repo, next to the SDK, express and zod from the
 * registry. There the project's own trip saga (test/package/trip-app.ts) typechecks against the published
 * declarations, runs on the run's dev server through its own worker and express app, and passes its own tests on
 * the testing kit.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readTestEnv } from './env';
import { tripAppFiles } from './package/trip-app';

const run = promisify(execFile);
const projectRoot = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs `command` in `cwd`; on failure, the error carries everything it printed. */
async function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  try {
    return await run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
  }
}

interface TripReport {
  registered: string[];
  invalid: { status: number; type: string; body: { type: string; issues: { path: string }[] } };
  started: number;
  failure: string;
  state: { status: string; steps: { name: string; status: string; compensation?: { status: string } }[] };
  history: { type: string; kind?: string; step?: string; event?: string; summary?: string }[];
  read: { status: number; body: { tripId: string; status: string } };
  historyRoute: { status: number; body: { timeline: unknown[] } };
  ledger: string[];
}

describe('temporal-saga installed from its tarball into another project', () => {
  let folder: string;
  let app: string;
  let packed: string[];
  let testEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const { address, namespace } = readTestEnv();
    testEnv = { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace };
    folder = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-package-'));
    await sh(npm, ['run', '--silent', 'build:package'], projectRoot);
    const { stdout } = await sh(
      npm,
      ['pack', path.join(projectRoot, 'packages/temporal-saga'), '--pack-destination', folder, '--json'],
      projectRoot,
    );
    const [tarball] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    packed = tarball!.files.map((file) => file.path);

    const manifest = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    app = path.join(folder, 'trip-app');
    const files = tripAppFiles(path.join(folder, tarball!.filename), {
      ...manifest.dependencies,
      ...manifest.devDependencies,
    });
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(app, file)), { recursive: true });
      await writeFile(path.join(app, file), text);
    }
    await sh(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  }, 600_000);
  afterAll(async () => {
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('holds the framework alone: its entry points and declarations, none of the order system', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/workflows/saga/index.js',
        'dist/workflows/saga/index.d.ts',
        'dist/api/saga/index.d.ts',
        'dist/api/saga/express.d.ts',
        'dist/workers/saga/index.d.ts',
        'dist/workers/saga/testing.d.ts',
      ]),
    );
    const outside = packed.filter(
      (file) => !/^(package\.json|README\.md|dist\/(workflows|api|workers)\/saga\/[\w-]+\.(js|d\.ts))$/.test(file),
    );
    expect(outside).toEqual([]);
  });

  it("typechecks the project's saga, worker, app and tests against the published declarations", async () => {
    // src/types.ts holds lines that must not compile (a misspelt step, wrong arguments): tsc fails if one does.
    const { stdout } = await sh(path.join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
    expect(stdout).toBe('');
  }, 120_000);

  it('runs the trip on the dev server: the car rental fails, the hotel and flight are undone in that order', async () => {
    const { stdout } = await sh(process.execPath, ['dist/main.js'], app, testEnv);
    const report = JSON.parse(stdout.trim().split('\n').pop()!) as TripReport;

    // Through the trigger's routes, mounted in the project's own express app.
    expect(report.invalid).toMatchObject({
      status: 400,
      type: expect.stringContaining('application/problem+json'),
      body: { issues: expect.arrayContaining([expect.objectContaining({ path: 'hotel' })]) },
    });
    expect(report.started).toBe(202);
    expect(report.read).toMatchObject({ status: 200, body: { status: 'compensated' } });
    expect(report.historyRoute.status).toBe(200);
    expect(report.historyRoute.body.timeline.length).toBeGreaterThan(0);

    // Through the client handle.
    expect(report.failure).toBe('SagaCompensated');
    expect(report.state.status).toBe('compensated');
    expect(
      report.state.steps.map(({ name, status, compensation }) => `${name}:${status}:${compensation?.status ?? '-'}`),
    ).toEqual(['bookFlight:succeeded:succeeded', 'bookHotel:succeeded:succeeded', 'rentCar:failed:-']);
    const ended = (kind: string) =>
      report.history
        .filter((entry) => entry.type === 'step' && entry.kind === kind && entry.event === 'completed')
        .map((entry) => entry.step);
    expect(ended('action')).toEqual(['bookFlight', 'bookHotel']);
    expect(ended('compensation')).toEqual(['bookHotel', 'bookFlight']);
    // The car rental went through the SDK's plain proxy: the interceptor still named its step and summary.
    expect(report.history).toContainEqual(
      expect.objectContaining({ kind: 'action', step: 'rentCar', event: 'failed', summary: 'rentCar: rentCar' }),
    );
    expect(report.ledger).toEqual([
      'book flight LIS-NYC',
      'book hotel Harbor Inn',
      'undo hotel Harbor Inn',
      'undo flight LIS-NYC',
    ]);
  }, 120_000);

  it("passes the project's own tests, written with the testing kit", async () => {
    const { stdout } = await sh(process.execPath, ['--test', 'dist/trip.test.js'], app, testEnv);
    expect(stdout).toMatch(/^# pass 3$/m);
    expect(stdout).toMatch(/^# fail 0$/m);
  }, 120_000);
});
