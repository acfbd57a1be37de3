/**
 * Invalid configuration stops a process at start, before any work: exit code 1 and one line on stderr that names
 * what is wrong. Each case runs a real service worker process (and the API for its own settings) with one bad
 * variable in an otherwise valid environment. What `loadConfig` reads and refuses, case by case, is the unit tier's
 * (test/unit/config.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv, freePort } from './processes';

const projectRoot = path.resolve(__dirname, '..');

function start(entry: string, env: NodeJS.ProcessEnv): { exitCode: number | null; stderr: string[] } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', entry], {
    cwd: projectRoot,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { exitCode: result.status, stderr: result.stderr.trim().split('\n') };
}

describe('invalid configuration fails at start with one line and exit code 1', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-config-'));
    // A valid environment apart from the variable under test; nothing listens on this address.
    env = cleanEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, DATA_DIR: dir, LOG_LEVEL: 'silent' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    {
      problem: 'an unreachable Temporal address',
      vars: {},
      line: /^Cannot reach Temporal at 127\.0\.0\.1:\d+: .+$/,
    },
    {
      problem: 'an address that is not host:port',
      vars: { TEMPORAL_ADDRESS: 'http://temporal:7233' },
      line: /^Invalid configuration: TEMPORAL_ADDRESS: expected host:port, e\.g\. temporal\.internal:7233$/,
    },
    {
      problem: 'a missing certificate file',
      vars: { TEMPORAL_TLS_CERT: '/nonexistent/client.pem', TEMPORAL_TLS_KEY: '/nonexistent/client.key' },
      line: /^Invalid configuration: TEMPORAL_TLS_CERT: cannot read \/nonexistent\/client\.pem: ENOENT; TEMPORAL_TLS_KEY: cannot read \/nonexistent\/client\.key: ENOENT$/,
    },
    {
      problem: 'a certificate without its key',
      // Any readable file passes the check at start; the certificate's content is the TLS handshake's business.
      vars: { TEMPORAL_TLS_CERT: __filename },
      line: /^Invalid configuration: TEMPORAL_TLS_KEY: set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/,
    },
    {
      problem: 'an empty TEMPORAL_TLS beside an API key (it used to turn TLS off)',
      vars: { TEMPORAL_API_KEY: 'a-cloud-api-key', TEMPORAL_TLS: '' },
      line: /^Invalid configuration: TEMPORAL_TLS: expected true or false \(unset for the default\)$/,
    },
    {
      problem: 'a bad port',
      vars: { METRICS_PORT: '70000' },
      line: /^Invalid configuration: METRICS_PORT: Too big: expected number to be <=65535$/,
    },
    {
      problem: 'a bad database URL',
      vars: { ORDERS_DATABASE_URL: 'orders.example:5432/orders' },
      line: /^Invalid configuration: ORDERS_DATABASE_URL: expected postgres:\/\/user:password@host:port\/db$/,
    },
    {
      problem: 'no payload key in production',
      vars: { NODE_ENV: 'production' },
      line: /^Invalid configuration: PAYLOAD_KEYS: required when NODE_ENV=production: <id>:<base64 of 32 random bytes>, newest first \(or a file in PAYLOAD_KEY_FILE\)$/,
    },
    {
      problem: 'a payload key of the wrong length',
      vars: { PAYLOAD_KEYS: 'k1:c2hvcnQ=' },
      line: /^Invalid configuration: PAYLOAD_KEYS: entry 1: key 'k1' is 5 bytes, expected 32$/,
    },
  ])('a service worker with $problem', ({ vars, line }) => {
    const { exitCode, stderr } = start('workers/orders.ts', { ...env, ...vars });
    expect({ exitCode, stderr }).toEqual({ exitCode: 1, stderr: [expect.stringMatching(line)] });
  });

  it('the API with a rate limit that is not a whole number', () => {
    const { exitCode, stderr } = start('api/server.ts', { ...env, API_RATE_LIMIT_STARTS: '1.5' });
    expect({ exitCode, stderr }).toEqual({
      exitCode: 1,
      stderr: [
        expect.stringMatching(
          /^Invalid configuration: API_RATE_LIMIT_STARTS: expected requests a minute, 0 to 999999 \(0: no limit\)$/,
        ),
      ],
    });
  });

  it('the API with a bad port', () => {
    const { exitCode, stderr } = start('api/server.ts', { ...env, PORT: 'eighty' });
    expect({ exitCode, stderr }).toEqual({
      exitCode: 1,
      stderr: [expect.stringMatching(/^Invalid configuration: PORT: Invalid input: expected number, received NaN$/)],
    });
  });
});
