/**
 * What `loadConfig` reads from an environment, without starting a process: the defaults, values that depend on
 * other variables (TLS), the API's rate limits, trusted proxies and token settings, the payload keys, and the one
 * line a `ConfigError` says. That a process stops at start with that line is test/config.test.ts's business.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTokenVerifier, developmentTokenSecretFile, loadTokenSettings, signToken } from '../../api/access-tokens';
import { formatPayloadKey, generatePayloadKey } from '../../codec/payload-keys';
import { ConfigError, loadConfig, nexusEndpointsOf } from '../../config';

/** What `load` threw; fails the test if it did not throw. */
function errorOf(load: () => unknown): unknown {
  try {
    load();
  } catch (error) {
    return error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('the defaults', () => {
  it('launch the embedded server under ./data, with each service on its own task queue', () => {
    const dataDir = path.resolve('data');
    expect(loadConfig({})).toMatchObject({
      temporal: { address: undefined, namespace: 'default', apiKey: undefined, tls: false },
      taskQueues: { orders: 'orders', inventory: 'inventory', payments: 'payments', shipping: 'shipping' },
      embeddedServer: { port: 7233, uiPort: 8233, dbFilename: path.join(dataDir, 'temporal.sqlite') },
      dataDir,
      production: false,
      payloadKeys: { kind: 'development', file: path.join(dataDir, 'payload-keys') },
      codecServer: { host: '127.0.0.1', port: 8234, token: undefined },
      api: {
        port: 3000,
        host: '127.0.0.1',
        operatorToken: undefined,
        logLevel: 'info',
        waitTimeoutMs: 5000,
        temporalTimeoutMs: 2500,
        tokens: { issuer: 'temporal-saga', audience: 'temporal-saga-api', operatorRole: 'operator' },
      },
    });
  });

  it('give way to the variables', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'sagas',
      TEMPORAL_PORT: '17233',
      PORT: '8080',
      ORDERS_TASK_QUEUE: 'orders-v2',
      SHIPPING_TASK_QUEUE: 'eu:shipping.2',
    });
    expect(config).toMatchObject({
      temporal: { address: 'temporal.internal:7233', namespace: 'sagas' },
      taskQueues: { orders: 'orders-v2', inventory: 'inventory', payments: 'payments', shipping: 'eu:shipping.2' },
      embeddedServer: { port: 17233 },
      api: { port: 8080 },
    });
  });

  it('wire inventory, payments and shipping over Nexus with SERVICE_WIRING=nexus, each in its namespace', () => {
    expect(loadConfig({}).nexus).toBeUndefined();
    expect(nexusEndpointsOf(loadConfig({}).nexus)).toEqual({});
    const config = loadConfig({
      SERVICE_WIRING: 'nexus',
      PAYMENTS_NAMESPACE: 'billing',
      SHIPPING_NEXUS_ENDPOINT: 'ship-2',
    });
    expect(config.nexus).toEqual({
      inventory: { namespace: 'inventory', endpoint: 'inventory' },
      payments: { namespace: 'billing', endpoint: 'payments' },
      shipping: { namespace: 'shipping', endpoint: 'ship-2' },
    });
    expect(nexusEndpointsOf(config.nexus)).toEqual({
      inventory: 'inventory',
      payments: 'payments',
      shipping: 'ship-2',
    });
  });

  it.each([
    [
      'an endpoint name Temporal refuses',
      { SERVICE_WIRING: 'nexus', PAYMENTS_NEXUS_ENDPOINT: 'payments_v2' },
      'PAYMENTS_NEXUS_ENDPOINT: expected letters, digits and hyphens, starting with a letter',
    ],
    [
      'an unknown wiring',
      { SERVICE_WIRING: 'grpc' },
      'SERVICE_WIRING: Invalid option: expected one of "task-queues"|"nexus"',
    ],
    [
      'a task queue with a space',
      { INVENTORY_TASK_QUEUE: 'inventory queue' },
      'INVENTORY_TASK_QUEUE: letters, digits and ._:- only',
    ],
    [
      'an empty namespace',
      { TEMPORAL_NAMESPACE: '' },
      'TEMPORAL_NAMESPACE: Too small: expected string to have >=1 characters',
    ],
    ['a port out of range', { TEMPORAL_UI_PORT: '0' }, 'TEMPORAL_UI_PORT: Too small: expected number to be >=1'],
  ])('refuse %s', (_problem, vars, issue) => {
    expect(() => loadConfig(vars)).toThrow(`Invalid configuration: ${issue}`);
  });
});

describe('ConfigError', () => {
  it('names every invalid variable in one line', () => {
    const error = errorOf(() => loadConfig({ PORT: 'eighty', METRICS_PORT: '70000', LOG_LEVEL: 'loud' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      name: 'ConfigError',
      message:
        'Invalid configuration: PORT: Invalid input: expected number, received NaN; LOG_LEVEL: Invalid option: ' +
        'expected one of "fatal"|"error"|"warn"|"info"|"debug"|"trace"|"silent"; METRICS_PORT: Too big: expected ' +
        'number to be <=65535',
    });
  });
});

describe('TEMPORAL_TLS', () => {
  const tlsWith = (vars: NodeJS.ProcessEnv) => loadConfig(vars).temporal.tls;

  it('is on with an API key or a client certificate when unset, off without, and true or false decide', () => {
    expect(tlsWith({})).toBe(false);
    expect(tlsWith({ TEMPORAL_API_KEY: 'a-cloud-api-key' })).toBe(true);
    expect(tlsWith({ TEMPORAL_TLS_CERT: __filename, TEMPORAL_TLS_KEY: __filename })).toBe(true);
    expect(tlsWith({ TEMPORAL_API_KEY: 'a-cloud-api-key', TEMPORAL_TLS: 'false' })).toBe(false);
    expect(tlsWith({ TEMPORAL_TLS: 'true' })).toBe(true);
  });

  it.each(['', ' ', '1', '0', 'yes', 'TRUE', 'off'])('refuses %j instead of guessing', (value) => {
    expect(() => loadConfig({ TEMPORAL_API_KEY: 'a-cloud-api-key', TEMPORAL_TLS: value })).toThrow(
      /^Invalid configuration: TEMPORAL_TLS: expected true or false \(unset for the default\)$/,
    );
  });
});

describe('API rate limits', () => {
  const api = (vars: NodeJS.ProcessEnv) => loadConfig(vars).api;

  it('default to 60 starts and 600 reads a minute per client; 0 turns one off', () => {
    expect(api({}).rateLimits).toEqual({ startsPerMinute: 60, readsPerMinute: 600 });
    expect(api({ API_RATE_LIMIT_STARTS: '0', API_RATE_LIMIT_READS: '1200' }).rateLimits).toEqual({
      startsPerMinute: 0,
      readsPerMinute: 1200,
    });
  });

  it.each(['', ' ', '-1', '1e3', 'ten', '1000000'])('refuse %j', (value) => {
    expect(() => loadConfig({ API_RATE_LIMIT_READS: value })).toThrow(/^Invalid configuration: API_RATE_LIMIT_READS: /);
  });
});

describe('API_TRUST_PROXY', () => {
  const trustProxy = (value?: string) =>
    loadConfig(value === undefined ? {} : { API_TRUST_PROXY: value }).api.trustProxy;

  it('trusts no proxy by default, and a hop count or the listed proxies when set', () => {
    expect(trustProxy()).toBe(false);
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy('loopback, 10.0.0.0/8,fd00::1')).toEqual(['loopback', '10.0.0.0/8', 'fd00::1']);
  });

  it.each(['true', '', 'proxy.internal', '10.0.0.0/33', '10.0.0.1/8/8'])('refuses %j', (value) => {
    expect(() => trustProxy(value)).toThrow(/^Invalid configuration: API_TRUST_PROXY: /);
  });
});

describe("the API's token settings", () => {
  it('take the JWKS URL, or the secret, or in development a secret kept in DATA_DIR', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-tokens-'));
    try {
      const jwks = await loadTokenSettings(loadConfig({ API_JWKS_URL: 'https://idp.example/jwks.json' }));
      expect(jwks).toMatchObject({ source: 'https://idp.example/jwks.json', settings: { keys: { kind: 'jwks' } } });
      const secret = await loadTokenSettings(loadConfig({ API_TOKEN_SECRET: 's'.repeat(32) }));
      expect(secret.source).toBe('API_TOKEN_SECRET');

      const development = await loadTokenSettings(loadConfig({ DATA_DIR: dataDir }));
      expect(development.source).toBe(developmentTokenSecretFile(dataDir));
      const token = await signToken(development.settings, { subject: 'customer-1' });
      // A restart finds the same secret: the token still verifies.
      const restarted = await loadTokenSettings(loadConfig({ DATA_DIR: dataDir }));
      await expect(createTokenVerifier(restarted.settings)(token)).resolves.toEqual({
        subject: 'customer-1',
        operator: false,
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuse a short secret, a secret beside a JWKS URL, and production without a JWKS URL', async () => {
    expect(() => loadConfig({ API_TOKEN_SECRET: 'short' })).toThrow(
      /^Invalid configuration: API_TOKEN_SECRET: use at least 32 characters/,
    );
    expect(() =>
      loadConfig({ API_TOKEN_SECRET: 's'.repeat(32), API_JWKS_URL: 'https://idp.example/jwks.json' }),
    ).toThrow(/^Invalid configuration: API_TOKEN_SECRET: set API_JWKS_URL or API_TOKEN_SECRET, not both/);
    const production = loadConfig({
      NODE_ENV: 'production',
      PAYLOAD_KEYS: formatPayloadKey(generatePayloadKey('prod')),
      API_TOKEN_SECRET: 's'.repeat(32),
    });
    await expect(loadTokenSettings(production)).rejects.toThrow(
      /^Invalid configuration: API_JWKS_URL: required when NODE_ENV=production/,
    );
  });
});

describe('payload keys', () => {
  const newest = generatePayloadKey('k2');
  const oldest = generatePayloadKey('k1');

  it('are read from PAYLOAD_KEYS newest first; an empty PAYLOAD_KEYS is unset', () => {
    expect(
      loadConfig({ PAYLOAD_KEYS: `${formatPayloadKey(newest)}, ${formatPayloadKey(oldest)}` }).payloadKeys,
    ).toEqual({ kind: 'configured', keys: [newest, oldest], source: 'PAYLOAD_KEYS' });
    expect(loadConfig({ PAYLOAD_KEYS: ' ' }).payloadKeys).toMatchObject({ kind: 'development' });
  });

  it('name each bad entry of PAYLOAD_KEYS in one line, and never the key material', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    const error = errorOf(() =>
      loadConfig({ PAYLOAD_KEYS: `${formatPayloadKey(newest)},k3:${short},not a key,${formatPayloadKey(newest)}` }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toHaveProperty(
      'message',
      "Invalid configuration: PAYLOAD_KEYS: entry 2: key 'k3' is 16 bytes, expected 32; PAYLOAD_KEYS: entry 3: " +
        'expected <id>:<base64 of 32 bytes>, the id of letters, digits and ._-; PAYLOAD_KEYS: entry 4: key id ' +
        "'k2' appears twice",
    );
    expect((error as Error).message).not.toContain(short);
  });

  it('are required in production, where no development key may stand in', () => {
    const error = errorOf(() => loadConfig({ NODE_ENV: 'production' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toHaveProperty(
      'message',
      'Invalid configuration: PAYLOAD_KEYS: required when NODE_ENV=production: <id>:<base64 of 32 random bytes>, ' +
        'newest first (or a file in PAYLOAD_KEY_FILE)',
    );
    const configured = loadConfig({ NODE_ENV: 'production', PAYLOAD_KEYS: formatPayloadKey(newest) });
    expect(configured).toMatchObject({ production: true, payloadKeys: { kind: 'configured', keys: [newest] } });
  });

  describe('with PAYLOAD_KEY_FILE', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-keys-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function keyFile(name: string, lines: string[]): Promise<string> {
      const file = path.join(dir, name);
      await writeFile(file, lines.join('\n'));
      return file;
    }

    it("put PAYLOAD_KEYS' keys before the file's, and satisfy production alone", async () => {
      const file = await keyFile('keys', ['# newest first', formatPayloadKey(oldest)]);
      expect(loadConfig({ PAYLOAD_KEYS: formatPayloadKey(newest), PAYLOAD_KEY_FILE: file }).payloadKeys).toEqual({
        kind: 'configured',
        keys: [newest, oldest],
        source: `PAYLOAD_KEYS and PAYLOAD_KEY_FILE ${file}`,
      });
      expect(loadConfig({ NODE_ENV: 'production', PAYLOAD_KEY_FILE: file }).payloadKeys).toMatchObject({
        kind: 'configured',
        keys: [oldest],
      });
    });

    it('refuse a key id in both, a file without a key, a bad line and a missing file', async () => {
      const same = await keyFile('same', [formatPayloadKey(generatePayloadKey('k2'))]);
      expect(() => loadConfig({ PAYLOAD_KEYS: formatPayloadKey(newest), PAYLOAD_KEY_FILE: same })).toThrow(
        'Invalid configuration: PAYLOAD_KEY_FILE: a key id is both here and in PAYLOAD_KEYS: give each key one id',
      );
      const empty = await keyFile('empty', ['# no key yet', '']);
      expect(() => loadConfig({ PAYLOAD_KEY_FILE: empty })).toThrow(
        `Invalid configuration: PAYLOAD_KEY_FILE: ${empty}: holds no key`,
      );
      const bad = await keyFile('bad', ['# one bad line', '', 'k1:c2hvcnQ=']);
      expect(() => loadConfig({ PAYLOAD_KEY_FILE: bad })).toThrow(
        `Invalid configuration: PAYLOAD_KEY_FILE: ${bad}: line 3: key 'k1' is 5 bytes, expected 32`,
      );
      const missing = path.join(dir, 'missing');
      expect(() => loadConfig({ PAYLOAD_KEY_FILE: missing })).toThrow(
        `Invalid configuration: PAYLOAD_KEY_FILE: cannot read ${missing}: ENOENT`,
      );
    });
  });
});
