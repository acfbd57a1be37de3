/**
 * `npm start` as a user runs it: the embedded server, the workers and the API in one command, stopped with Ctrl-C
 * or SIGTERM, restarted on the same data folder, with a customer's token from `npm run token`; and when it cannot
 * start, one line that says why and how to fix it, exit code 1, and nothing left running.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { orderRequest } from './fixtures/orders';
import { orderReaches, placeOrder } from './orders';
import { eventually, postJson, request } from './http';
import type { Launched } from './processes';
import { cleanEnv, descendants, freePort, groupMembers, isAlive, launch } from './processes';
import { testOperatorToken, testTokenSecret } from './tokens';

const projectRoot = path.resolve(__dirname, '..');

const everyLaunch: Launched[] = [];

async function npmStart(env: NodeJS.ProcessEnv): Promise<Launched> {
  const launched = launch('npm', ['start', '--prefix', projectRoot], env);
  everyLaunch.push(launched);
  await runningBanner(launched);
  return launched;
}

/** Waits for `npm start`'s banner; fails with what the command printed so far. */
async function runningBanner(launched: Launched): Promise<void> {
  await eventually(async () => (launched.output().includes('temporal-saga is running') ? true : undefined), {
    timeoutMs: 45_000,
  }).catch((error: unknown) => {
    throw new Error(`npm start did not come up: ${String(error)}\n${launched.output()}`);
  });
}

const execFileAsync = promisify(execFile);

/** `npm run --silent token -- <args>` as a user runs it beside `npm start`: what it prints. */
async function npmRunToken(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('npm', ['run', '--silent', '--prefix', projectRoot, 'token', '--', ...args], {
    env,
  });
  return stdout.trim();
}

describe('npm start', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-start-'));
  });
  afterAll(async () => {
    // Only a failed test leaves a process running; kill its whole group so that nothing outlives the run.
    for (const { child } of everyLaunch) {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves an order placed before a restart and leaves no process behind on Ctrl-C or SIGTERM', async () => {
    const [temporalPort, uiPort, apiPort, codecPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const env = cleanEnv({
      DATA_DIR: dataDir,
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      PORT: String(apiPort),
      CODEC_SERVER_PORT: String(codecPort),
    });
    const api = `http://127.0.0.1:${apiPort}`;

    const first = await npmStart(env);
    expect(first.output()).toContain(`http://localhost:${uiPort}`);
    // No key configured: a development key, kept in DATA_DIR for the next start, and said so.
    const keyFile = path.join(dataDir, 'payload-keys');
    const keyLine = new RegExp(`encrypted with key '(dev-\\w+)' from the development key file ${keyFile}, made now`);
    const [, keyId] = keyLine.exec(first.output()) ?? [];
    expect(keyId).toBeDefined();
    expect(await readFile(keyFile, 'utf8')).toContain(`${keyId}:`);
    // The Web UI decodes through the codec server npm start runs.
    const settings = await request(`http://localhost:${uiPort}/api/v1/settings`);
    expect(settings.body).toMatchObject({ Codec: { Endpoint: `http://127.0.0.1:${codecPort}` } });

    // No token secret configured: a development one, kept in DATA_DIR; the banner says how to get a token.
    const secretFile = path.join(dataDir, 'api-token-secret');
    expect(first.output()).toContain(`verified with ${secretFile}`);
    expect(first.output()).toContain('npm run --silent token -- customer-1');
    const order = orderRequest({ customerId: 'customer-1' });
    expect((await postJson(`${api}/orders`, order)).status).toBe(401);
    // The command the banner names, against the same DATA_DIR, signs with the secret the running API verifies.
    const token = await npmRunToken(env, 'customer-1');
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const accepted = await postJson(`${api}/orders`, order, token);
    expect(accepted.status).toBe(202);
    const { orderId, links } = accepted.body as { orderId: string; links: { webUi: string } };
    await eventually(async () => {
      const state = await request(`${api}/orders/${orderId}`, { token });
      return (state.body as { status?: string }).status === 'completed' ? state : undefined;
    });

    // The Web UI serves the order's page, and its backend knows the workflow.
    expect(links.webUi).toBe(`http://localhost:${uiPort}/namespaces/default/workflows/order-${orderId}`);
    const page = await fetch(links.webUi);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const described = await request(`http://localhost:${uiPort}/api/v1/namespaces/default/workflows/order-${orderId}`);
    expect(described.status).toBe(200);
    expect(JSON.stringify(described.body)).toContain(`order-${orderId}`);

    const firstProcesses = [first.child.pid!, ...descendants(first.child.pid!)];
    expect(firstProcesses.length).toBeGreaterThanOrEqual(3); // npm, node, temporal server
    process.kill(-first.child.pid!, 'SIGINT'); // Ctrl-C: the terminal signals the whole foreground group
    await first.exited;
    await eventually(async () => (firstProcesses.every((pid) => !isAlive(pid)) ? true : undefined));
    expect(first.output()).toContain('Stopped.');

    const second = await npmStart(env);
    expect(second.output()).toContain(`encrypted with key '${keyId}' from the development key file ${keyFile}\n`);
    // The order written under that key reads back after the restart, with the token made before it.
    const restarted = await request(`${api}/orders/${orderId}`, { token });
    expect(restarted.status).toBe(200);
    expect(restarted.body).toMatchObject({ orderId, status: 'completed' });

    const secondProcesses = [second.child.pid!, ...descendants(second.child.pid!)];
    process.kill(second.child.pid!, 'SIGTERM'); // a process manager signals npm alone
    expect(await second.exited).toBe(0);
    await eventually(async () => (secondProcesses.every((pid) => !isAlive(pid)) ? true : undefined));
    expect(second.output()).toContain('Stopped.');
  }, 120_000);
});

describe('npm start on a terminal', () => {
  let dataDir: string;
  let launched: Launched | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-tty-'));
  });
  afterAll(async () => {
    if (launched?.child.exitCode === null) process.kill(-launched.child.pid!, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints short request lines and a compensated order as one line, with no stack trace', async () => {
    const apiPort = await freePort();
    const env = cleanEnv({
      DATA_DIR: dataDir,
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      PORT: String(apiPort),
      CODEC_SERVER_PORT: String(await freePort()),
      // placeOrder signs as the order's customer with the tests' secret; orderReaches reads as the operator.
      API_TOKEN_SECRET: testTokenSecret,
      OPERATOR_TOKEN: testOperatorToken,
    });
    // util-linux `script` runs the command on a pseudo-terminal, as a user's shell would.
    launched = launch('script', ['-qfec', `npm start --prefix ${projectRoot}`, '/dev/null'], env);
    await runningBanner(launched);
    const api = `http://127.0.0.1:${apiPort}`;
    const good = await placeOrder(api);
    const declined = await placeOrder(api, { paymentToken: 'tok_declined' });
    await orderReaches(api, good, ['completed']);
    await orderReaches(api, declined, ['cancelled']); // the order's status; its saga compensated
    await eventually(async () => (launched!.output().includes(`order-${declined}`) ? true : undefined));
    process.kill(-launched.child.pid!, 'SIGINT');
    await launched.exited;

    const lines = launched.output().split(/\r?\n/);
    expect(lines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d POST \/orders 202 \d+ ms$/));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\d\\d:\\d\\d:\\d\\d GET /orders/${good} 200 \\d+ ms$`)),
    );
    const compensated = lines.filter((line) => line.includes(`order-${declined} compensated`));
    expect(compensated).toEqual([
      expect.stringMatching(/INFO.*compensated after chargePayment failed: PaymentDeclined: .*undone: .*reserveStock/),
    ]);
    expect(lines.filter((line) => /^\s+at /.test(line) || line.startsWith('{'))).toEqual([]);
  }, 120_000);
});

describe('npm start that cannot start', () => {
  let dir: string;
  let blocker: Server;
  let takenPort: number;
  let closedPort: number;
  let readOnlyDir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-start-fail-'));
    // Another program holding a port, as a user's other dev server would.
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    takenPort = (blocker.address() as { port: number }).port;
    closedPort = await freePort();
    readOnlyDir = path.join(dir, 'read-only');
    await makeReadOnly(readOnlyDir);
  });
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    await undoReadOnly(readOnlyDir);
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    {
      cause: 'the API port taken',
      vars: () => ({ PORT: String(takenPort) }),
      line: () =>
        `Port ${takenPort} on 127.0.0.1 (the API) is in use by another process: stop it, or set PORT to a free port.`,
    },
    {
      cause: 'the Temporal port taken',
      vars: () => ({ TEMPORAL_PORT: String(takenPort) }),
      line: () =>
        `Port ${takenPort} on 127.0.0.1 (the embedded Temporal server) is in use by another process: stop it, or set TEMPORAL_PORT to a free port.`,
    },
    {
      cause: 'the codec server port taken',
      vars: () => ({ CODEC_SERVER_PORT: String(takenPort) }),
      line: () =>
        `Port ${takenPort} on 127.0.0.1 (the codec server) is in use by another process: stop it, or set CODEC_SERVER_PORT to a free port.`,
    },
    {
      cause: 'production without a payload key',
      vars: () => ({ NODE_ENV: 'production', API_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' }),
      line: () =>
        'Invalid configuration: PAYLOAD_KEYS: required when NODE_ENV=production: <id>:<base64 of 32 random bytes>, ' +
        'newest first (or a file in PAYLOAD_KEY_FILE)',
    },
    {
      cause: "production without the identity provider's keys",
      vars: () => ({ NODE_ENV: 'production', PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` }),
      line: () =>
        "Invalid configuration: API_JWKS_URL: required when NODE_ENV=production (the identity provider's JSON Web " +
        'Key Set, whose keys sign the API tokens)',
    },
    {
      cause: 'a database that cannot be opened',
      vars: () => ({ ORDERS_DATABASE_URL: `postgres://orders:secret@127.0.0.1:${closedPort}/orders` }),
      line: () =>
        `Cannot open the orders database postgres://***@127.0.0.1:${closedPort}/orders: connect ECONNREFUSED 127.0.0.1:${closedPort}. Check ORDERS_DATABASE_URL.`,
    },
    {
      cause: 'a read-only data folder',
      vars: () => ({ DATA_DIR: readOnlyDir }),
      line: (): string | RegExp =>
        /^Cannot write to the data folder .+\/read-only \(E(ACCES|PERM)\): set DATA_DIR to a writable folder\.$/,
    },
  ])(
    'exits 1 with one line naming the cause and the fix, leaving no process, with $cause',
    async ({ vars, line }) => {
      const env = cleanEnv({
        DATA_DIR: path.join(dir, 'data'),
        TEMPORAL_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(await freePort()),
        PORT: String(await freePort()),
        CODEC_SERVER_PORT: String(await freePort()),
        ...vars(),
      });
      const began = Date.now();
      const started = launch('npm', ['start', '--prefix', projectRoot], env);
      let timer: NodeJS.Timeout | undefined;
      const exitCode = await Promise.race([
        started.exited,
        new Promise((resolve) => (timer = setTimeout(() => resolve('still running after 10 s'), 10_000))),
      ]);
      clearTimeout(timer);
      console.log(`npm start with ${JSON.stringify(vars())} ended after ${((Date.now() - began) / 1000).toFixed(1)} s`);
      const expected = line();
      // npm has exited; its children get a moment to be reaped.
      const left = await eventually(async () => (groupMembers(started.child.pid!).length === 0 ? [] : undefined), {
        timeoutMs: 3000,
      }).catch(() => groupMembers(started.child.pid!));
      if (left.length > 0) process.kill(-started.child.pid!, 'SIGKILL');

      // Every cause is found before the embedded server starts, so no line of its own comes before or after.
      const stderr = started.errors().trim().split('\n');
      expect({ exitCode, stderr, left }).toEqual({
        exitCode: 1,
        stderr: [typeof expected === 'string' ? expected : expect.stringMatching(expected)],
        left: [],
      });
    },
    30_000,
  );
});

/**
 * A folder nobody may write to. Root ignores permission bits, so as root the folder is also made immutable
 * (`chattr +i`), which binds root too.
 */
async function makeReadOnly(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await chmod(folder, 0o555);
  if (process.getuid?.() === 0) execFileSync('chattr', ['+i', folder]);
}

async function undoReadOnly(folder: string): Promise<void> {
  if (process.getuid?.() === 0) execFileSync('chattr', ['-i', folder]);
  await chmod(folder, 0o755);
}
