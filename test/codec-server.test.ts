/**
 * The codec server decodes for whoever holds its token, and for pages of the Web UI's origin only: a missing token
 * is 401, a wrong one 403, a page of another origin 403 with no CORS allowance. In development the Web UI on this
 * machine may call without a token (it cannot send one); in production nothing comes in without it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { PayloadEncryption } from '../codec/data-converter';
import { loadPayloadEncryption } from '../codec/data-converter';
import { EncryptionCodec } from '../codec/encryption-codec';
import { formatPayloadKey, generatePayloadKey } from '../codec/payload-keys';
import type { RunningCodecServer } from '../codec/server';
import { developmentTokenFile, startCodecServer } from '../codec/server';
import { loadConfig } from '../config';
import { cleanEnv, freePort } from './processes';

const projectRoot = path.resolve(__dirname, '..');
const token = 'codec-server-test-token-0123456789';
const webUi = 'http://localhost:8233';

type JsonPayload = { metadata: Record<string, string>; data: string };

const toJson = ({ metadata, data }: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(data ?? []).toString('base64'),
});
const fromJson = ({ metadata, data }: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(data, 'base64'),
});

describe('the codec server', () => {
  let dataDir: string;
  let encryption: PayloadEncryption;
  let server: RunningCodecServer;
  let sealed: JsonPayload;
  const secret = { paymentToken: 'tok_visa', name: 'Ada Lovelace' };

  async function start(env: NodeJS.ProcessEnv): Promise<RunningCodecServer> {
    const config = loadConfig({
      ...process.env,
      DATA_DIR: dataDir,
      CODEC_SERVER_PORT: String(await freePort()),
      CODEC_SERVER_ORIGINS: webUi,
      ...env,
    });
    return startCodecServer(config, encryption.codec);
  }

  function decode(target: RunningCodecServer, headers: Record<string, string>, payloads = [sealed]) {
    return fetch(`${target.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify({ payloads }),
    });
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-codec-server-'));
    encryption = await loadPayloadEncryption(loadConfig());
    server = await start({ CODEC_SERVER_TOKEN: token });
    sealed = toJson((await encryption.codec.encode([defaultPayloadConverter.toPayload(secret)]))[0]!);
  });
  afterAll(async () => {
    await server?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("decodes for the Web UI's origin with the token, and answers its preflight", async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: webUi,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(webUi);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization.*Content-Type.*X-Namespace/);

    const response = await decode(server, { origin: webUi, authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(webUi);
    const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
    expect(payloads.map((payload) => defaultPayloadConverter.fromPayload(fromJson(payload)))).toEqual([secret]);
  });

  it('encodes with the newest key what it is given, for the Web UI to start or signal a workflow', async () => {
    const response = await fetch(`${server.url}/encode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ payloads: [toJson(defaultPayloadConverter.toPayload(secret))] }),
    });
    expect(response.status).toBe(200);
    const { payloads } = (await response.json()) as { payloads: JsonPayload[] };
    const [encoded] = payloads.map(fromJson);
    expect(Buffer.from(encoded!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded!.data!).includes('Ada Lovelace')).toBe(false);
    const decoded = await encryption.codec.decode(payloads.map(fromJson));
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(secret);
  });

  it('answers 401 without the token and 403 with a wrong one', async () => {
    const missing = await decode(server, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await missing.json()).toMatchObject({ type: 'urn:temporal-saga:codec:unauthorized', status: 401 });
    const wrong = await decode(server, { authorization: 'Bearer not-the-token-at-all' });
    expect(wrong.status).toBe(403);
    expect(JSON.stringify(await wrong.json())).not.toContain('Ada');
  });

  it('refuses a page of another origin, its preflight included, with no CORS allowance', async () => {
    const origin = 'http://evil.example';
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    const response = await decode(server, { origin, authorization: `Bearer ${token}` });
    for (const refused of [preflight, response]) {
      expect(refused.status).toBe(403);
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(await response.json()).toMatchObject({ type: 'urn:temporal-saga:codec:origin-refused' });
  });

  it('lets the Web UI on this machine in without a token in development only', async () => {
    expect(server.localWebUiWithoutToken).toBe(true);
    expect((await decode(server, { origin: webUi })).status).toBe(200);

    const production = await start({
      NODE_ENV: 'production',
      PAYLOAD_KEYS: formatPayloadKey(generatePayloadKey('prod')),
      CODEC_SERVER_TOKEN: token,
    });
    try {
      expect(production.localWebUiWithoutToken).toBe(false);
      expect((await decode(production, { origin: webUi })).status).toBe(401);
      expect((await decode(production, { origin: webUi, authorization: `Bearer ${token}` })).status).toBe(200);
    } finally {
      await production.close();
    }
  });

  it('answers 400, naming the key, for a payload of a key it does not have', async () => {
    const stranger = new EncryptionCodec([generatePayloadKey('retired-key')]);
    const [foreign] = await stranger.encode([defaultPayloadConverter.toPayload(secret)]);
    const response = await decode(server, { authorization: `Bearer ${token}` }, [toJson(foreign!)]);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/key 'retired-key': no such key here/);
  });

  it('serves one namespace, and only POST on its two routes', async () => {
    expect((await decode(server, { authorization: `Bearer ${token}`, 'x-namespace': 'other' })).status).toBe(404);
    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await fetch(`${server.url}/anything`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('keeps a development token in DATA_DIR when none is configured, and refuses to start without one in production', async () => {
    const development = await start({});
    try {
      expect(development.tokenSource).toBe(developmentTokenFile(dataDir));
      const kept = (await readFile(developmentTokenFile(dataDir), 'utf8')).trim();
      expect((await decode(development, { authorization: `Bearer ${kept}` })).status).toBe(200);
    } finally {
      await development.close();
    }

    const result = spawnSync(process.execPath, ['--import', 'tsx', 'codec/server.ts'], {
      cwd: projectRoot,
      env: cleanEnv({
        NODE_ENV: 'production',
        PAYLOAD_KEYS: formatPayloadKey(generatePayloadKey('prod')),
        CODEC_SERVER_PORT: String(await freePort()),
        DATA_DIR: dataDir,
      }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ exitCode: result.status, stderr: result.stderr.trim().split('\n') }).toEqual({
      exitCode: 1,
      stderr: ['Invalid configuration: CODEC_SERVER_TOKEN: required when NODE_ENV=production (at least 16 characters)'],
    });
  });
});
