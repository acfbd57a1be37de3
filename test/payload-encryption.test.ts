/**
 * Customer data never reaches Temporal's history in the clear: the payload codec encrypts every payload with the
 * newest configured key, tags it with that key's id, and decrypts with whichever key it names, so keys rotate
 * without losing a saga. Proven on the real system: an order placed over the API, its raw history read from the
 * server and through the `temporal` CLI, a restart onto a new key, and the replayer. The codec and the keys alone
 * are in the unit tier (test/unit/payload-keys.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { orderWorkflowId } from '../api/orders/trigger';
import { loadPayloadEncryption } from '../codec/data-converter';
import { encryptedEncoding, keyIdMetadataKey } from '../codec/encryption-codec';
import type { PayloadKey } from '../codec/payload-keys';
import { formatPayloadKey, generatePayloadKey } from '../codec/payload-keys';
import type { RunningCodecServer } from '../codec/server';
import { startCodecServer } from '../codec/server';
import { loadConfig } from '../config';
import { resolveServerBinary, TemporalCli } from '../workers/temporal-binary';
import { readTestEnv } from './env';
import { orderRequest } from './fixtures/orders';
import { orderReaches, placeOrder } from './orders';
import { freePort } from './processes';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

type History = temporal.api.history.v1.IHistory;

/** What an order carries that the history must never show in the clear (README's example order). */
function customerDataOf(request: ReturnType<typeof orderRequest>): string[] {
  const { paymentToken, shippingAddress } = request;
  return [paymentToken, shippingAddress.name, shippingAddress.line1, shippingAddress.postalCode];
}

/** The whole history, page by page, as the server stores it: no codec in between. */
async function rawHistory(system: TestSystem, workflowId: string): Promise<History> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await system.client.workflowService.getWorkflowExecutionHistory({
      namespace: system.config.temporal.namespace,
      execution: { workflowId },
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return { events };
}

/** Which of `texts` appear anywhere in the history's bytes: payloads, failures, attributes, everything. */
function foundIn(history: History, texts: readonly string[]): string[] {
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  return texts.filter((text) => bytes.includes(text));
}

/**
 * The text of `temporal workflow show --output json`, with every payload's `data` (base64 in the Temporal API's
 * JSON) spelled out: what anyone reading that output could read.
 */
function readableText(json: string): string {
  const parts = [json];
  JSON.parse(json, (key, value: unknown) => {
    if (key === 'data' && typeof value === 'string') parts.push(Buffer.from(value, 'base64').toString('utf8'));
    return value;
  });
  return parts.join('\n');
}

function workflowInput(history: History): Payload {
  return history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
}

const metadataText = (payload: Payload, key: string) => Buffer.from(payload.metadata?.[key] ?? []).toString();

describe('an order placed over the API', () => {
  let system: TestSystem;
  let codecServer: RunningCodecServer;
  let dataDir: string;
  const codecToken = 'codec-token-for-the-cli-0123456789';
  beforeAll(async () => {
    system = await startTestSystem();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-codec-'));
    const config = loadConfig({
      ...system.processEnv,
      DATA_DIR: dataDir,
      CODEC_SERVER_PORT: String(await freePort()),
      CODEC_SERVER_TOKEN: codecToken,
    });
    codecServer = await startCodecServer(config, system.encryption.codec);
  });
  afterAll(async () => {
    await codecServer?.close();
    await system?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves no payment token, name, street or postal code in its raw history; the codec gives them back', async () => {
    const request = orderRequest();
    const customerData = customerDataOf(request);
    const orderId = await placeOrder(system.apiUrl, request);
    await orderReaches(system.apiUrl, orderId, ['completed']);
    const workflowId = orderWorkflowId(orderId);

    const history = await rawHistory(system, workflowId);
    expect(history.events!.length).toBeGreaterThan(20);
    expect(foundIn(history, customerData)).toEqual([]);
    const input = workflowInput(history);
    expect(metadataText(input, 'encoding')).toBe(encryptedEncoding);
    expect(metadataText(input, keyIdMetadataKey)).toBe(system.encryption.codec.encryptingKeyId);
    const [decoded] = await system.encryption.codec.decode([input]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toMatchObject({
      orderId,
      paymentToken: request.paymentToken,
      shippingAddress: request.shippingAddress,
    });

    // The same history through the temporal CLI: opaque, and readable through the codec server with its token.
    const { executable } = await resolveServerBinary(TemporalCli);
    const cli = executable.type === 'existing-path' ? executable.path : 'temporal';
    // Not execFileSync: the codec server answering the CLI runs in this process.
    const show = async (...extra: string[]) =>
      (
        await promisify(execFile)(
          cli,
          [
            'workflow',
            'show',
            '--address',
            readTestEnv().address,
            '--workflow-id',
            workflowId,
            '--output',
            'json',
            ...extra,
          ],
          { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
        )
      ).stdout;
    const stored = readableText(await show());
    expect(customerData.filter((text) => stored.includes(text))).toEqual([]);
    const readable = readableText(
      await show('--codec-endpoint', codecServer.url, '--codec-auth', `Bearer ${codecToken}`),
    );
    expect(customerData.filter((text) => !readable.includes(text))).toEqual([]);
  });
});

describe('rotating the payload key', () => {
  const keyA = generatePayloadKey('rotation-a');
  const keyB = generatePayloadKey('rotation-b');
  const keys = (...list: PayloadKey[]) => ({ PAYLOAD_KEYS: list.map(formatPayloadKey).join(',') });
  let system: TestSystem | undefined;
  afterAll(async () => {
    await system?.stop();
  });

  it('reads and replays a saga of the old key after a restart onto a new one', async () => {
    const before = (system = await startTestSystem({ env: keys(keyA) }));
    const requestA = orderRequest();
    const orderA = await placeOrder(before.apiUrl, requestA);
    await orderReaches(before.apiUrl, orderA, ['completed']);
    await before.stop();

    // Restarted (workers, client, API) with the new key first and the old one kept.
    const after = (system = await startTestSystem({ env: keys(keyB, keyA) }));
    const requestB = orderRequest();
    const orderB = await placeOrder(after.apiUrl, requestB);
    await orderReaches(after.apiUrl, orderB, ['completed']);
    expect(await orderReaches(after.apiUrl, orderA, ['completed'])).toMatchObject({ orderId: orderA });

    const histories = {
      [orderA]: await rawHistory(after, orderWorkflowId(orderA)),
      [orderB]: await rawHistory(after, orderWorkflowId(orderB)),
    };
    const keyIds = Object.values(histories).map((history) => metadataText(workflowInput(history), keyIdMetadataKey));
    expect(keyIds).toEqual(['rotation-a', 'rotation-b']);
    for (const [orderId, request] of [
      [orderA, requestA],
      [orderB, requestB],
    ] as const) {
      expect(foundIn(histories[orderId]!, customerDataOf(request))).toEqual([]);
      const [decoded] = await after.encryption.codec.decode([workflowInput(histories[orderId]!)]);
      expect(defaultPayloadConverter.fromPayload(decoded!)).toMatchObject({ paymentToken: request.paymentToken });
    }

    const replay = (dataConverter: typeof after.encryption.dataConverter) =>
      Promise.all(
        Object.entries(histories).map(([orderId, history]) =>
          Worker.runReplayHistory(
            { workflowBundle: { codePath: readTestEnv().workflowBundlePath }, dataConverter, replayName: orderId },
            history,
            orderWorkflowId(orderId),
          ),
        ),
      );
    await replay(after.encryption.dataConverter);

    // A replayer that dropped the old key too early fails on its sagas, naming the key in its first line.
    const withoutA = await loadPayloadEncryption(loadConfig(keys(keyB)));
    const failure = (await replay(withoutA.dataConverter).catch((error: unknown) => error)) as Error;
    expect(failure.message.split('\n')[0]).toMatch(/key 'rotation-a': no such key here/);
  }, 120_000);
});
