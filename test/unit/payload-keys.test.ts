/**
 * Payload keys and the codec that encrypts with them: reading `<id>:<base64>` keys (from `PAYLOAD_KEYS` entries and
 * key files), what each malformed key is refused with, and the codec's promises: the whole payload sealed under
 * the newest key, any listed key decrypting, an unknown key named, an altered payload refused, and payloads from
 * before encryption passed through.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadPayloadEncryption } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import {
  EncryptionCodec,
  encryptedEncoding,
  keyIdMetadataKey,
  PayloadDecryptionError,
  UnknownPayloadKeyError,
} from '../../codec/encryption-codec';
import {
  developmentKeyFile,
  formatPayloadKey,
  generatePayloadKey,
  keyLength,
  newDevelopmentKeyFile,
  parseKeyFile,
  parsePayloadKeys,
} from '../../codec/payload-keys';

const badFormat = 'expected <id>:<base64 of 32 bytes>, the id of letters, digits and ._-';

/** A key of `length` bytes, written as in `PAYLOAD_KEYS`. */
const keyOfLength = (id: string, length: number) => `${id}:${Buffer.alloc(length, 7).toString('base64')}`;

describe('parsePayloadKeys', () => {
  it('reads keys newest first, with spaces around an entry ignored', () => {
    const newest = generatePayloadKey('key-2026.01');
    const oldest = generatePayloadKey('key_2025');
    expect(parsePayloadKeys([formatPayloadKey(newest), ` ${formatPayloadKey(oldest)} `])).toEqual({
      success: true,
      keys: [newest, oldest],
    });
  });

  it('refuses a key that is not 32 bytes, saying how long it is', () => {
    expect(parsePayloadKeys([keyOfLength('k1', 16), keyOfLength('k2', 33)])).toEqual({
      success: false,
      problems: ["entry 1: key 'k1' is 16 bytes, expected 32", "entry 2: key 'k2' is 33 bytes, expected 32"],
    });
  });

  it('refuses a key id given twice', () => {
    expect(parsePayloadKeys([keyOfLength('k1', keyLength), keyOfLength('k1', keyLength)])).toEqual({
      success: false,
      problems: ["entry 2: key id 'k1' appears twice"],
    });
  });

  it.each([
    ['no id', keyOfLength('', keyLength)],
    ['a space in the id', keyOfLength('key one', keyLength)],
    ['a quote in the id', keyOfLength("k'1", keyLength)],
    ['an id of 65 characters', keyOfLength('k'.repeat(65), keyLength)],
    ['no separator', Buffer.alloc(keyLength, 7).toString('base64')],
    ['material that is not base64', 'k1:not*base64!'],
    ['base64url material', `k1:${Buffer.alloc(keyLength, 0xfb).toString('base64url')}`],
    ['no material', 'k1:'],
  ])('refuses an entry with %s', (_problem, entry) => {
    expect(parsePayloadKeys([entry])).toEqual({ success: false, problems: [`entry 1: ${badFormat}`] });
  });

  it('reports every bad entry at once, and never quotes key material', () => {
    const short = keyOfLength('short', 16);
    const result = parsePayloadKeys([short, 'no key here', keyOfLength('fine', keyLength)]);
    expect(result).toEqual({
      success: false,
      problems: ["entry 1: key 'short' is 16 bytes, expected 32", `entry 2: ${badFormat}`],
    });
    expect(JSON.stringify(result)).not.toContain(short.split(':')[1]);
  });

  it('names entries as the caller says', () => {
    expect(parsePayloadKeys(['bad'], (index) => `key #${index}`)).toEqual({
      success: false,
      problems: [`key #0: ${badFormat}`],
    });
  });
});

describe('parseKeyFile', () => {
  it('reads one key a line, newest first, skipping blank lines and # comments, with CRLF or LF', () => {
    const newest = generatePayloadKey('newest');
    const oldest = generatePayloadKey('oldest');
    const text = ['# Payload keys', '', `  ${formatPayloadKey(newest)}`, '   ', `${formatPayloadKey(oldest)}`, ''];
    expect(parseKeyFile(text.join('\n'))).toEqual({ success: true, keys: [newest, oldest] });
    expect(parseKeyFile(text.join('\r\n'))).toEqual({ success: true, keys: [newest, oldest] });
  });

  it('names a bad key by its line in the file, comments and blank lines counted', () => {
    const lines = ['# Payload keys', '', keyOfLength('k1', keyLength), '# retired soon', keyOfLength('k0', 5)];
    expect(parseKeyFile(lines.join('\n'))).toEqual({
      success: false,
      problems: ["line 5: key 'k0' is 5 bytes, expected 32"],
    });
  });

  it('finds no key in a file of comments only', () => {
    expect(parseKeyFile('# nothing yet\n\n')).toEqual({ success: true, keys: [] });
  });
});

describe('generatePayloadKey and formatPayloadKey', () => {
  it('make a random 32-byte key that reads back as itself', () => {
    const key = generatePayloadKey('k1');
    expect(key.id).toBe('k1');
    expect(key.material).toHaveLength(keyLength);
    expect(generatePayloadKey('k1').material.equals(key.material)).toBe(false);
    expect(parsePayloadKeys([formatPayloadKey(key)])).toEqual({ success: true, keys: [key] });
  });

  it('make a development key file that holds one readable key, kept beside the data', () => {
    const parsed = parseKeyFile(newDevelopmentKeyFile());
    expect(parsed).toEqual({
      success: true,
      keys: [{ id: expect.stringMatching(/^dev-[0-9a-f]{8}$/), material: expect.any(Buffer) }],
    });
    expect(developmentKeyFile('/var/lib/sagas')).toBe(path.join('/var/lib/sagas', 'payload-keys'));
  });
});

const metadataText = (payload: Payload, key: string) => Buffer.from(payload.metadata?.[key] ?? []).toString();
const jsonPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const valuesOf = (payloads: Payload[]) => payloads.map((payload) => defaultPayloadConverter.fromPayload(payload));

describe('EncryptionCodec', () => {
  const keyA = generatePayloadKey('key-a');
  const keyB = generatePayloadKey('key-b');
  const order = { paymentToken: 'tok_visa_4242', name: 'Ada Lovelace' };

  it('needs at least one key', () => {
    expect(() => new EncryptionCodec([])).toThrow('The encryption codec needs at least one key.');
  });

  it('decodes what it encodes, whatever the payload holds', async () => {
    const codec = new EncryptionCodec([keyA]);
    const values = [order, 'text', 42, null, undefined, new Uint8Array([1, 2, 3])];
    const decoded = await codec.decode(await codec.encode(values.map(jsonPayload)));
    expect(valuesOf(decoded)).toEqual(values);
  });

  it('seals the whole payload, metadata included, under the key it names, with a fresh IV each time', async () => {
    const [first, second] = await new EncryptionCodec([keyA]).encode([jsonPayload(order), jsonPayload(order)]);
    expect(Object.keys(first!.metadata!).sort()).toEqual(['encoding', keyIdMetadataKey]);
    expect(metadataText(first!, 'encoding')).toBe(encryptedEncoding);
    expect(metadataText(first!, keyIdMetadataKey)).toBe('key-a');
    const data = Buffer.from(first!.data!);
    for (const plaintext of [order.paymentToken, order.name, 'json/plain'])
      expect(data.includes(plaintext)).toBe(false);
    expect(data.equals(Buffer.from(second!.data!))).toBe(false);
  });

  it('encrypts with the newest key and decrypts with any listed one, so that keys rotate', async () => {
    const [underA] = await new EncryptionCodec([keyA]).encode([jsonPayload(order)]);
    const rotated = new EncryptionCodec([keyB, keyA]);
    expect({ encrypting: rotated.encryptingKeyId, all: rotated.keyIds }).toEqual({
      encrypting: 'key-b',
      all: ['key-b', 'key-a'],
    });
    const [underB] = await rotated.encode([jsonPayload(order)]);
    expect(metadataText(underB!, keyIdMetadataKey)).toBe('key-b');
    expect(valuesOf(await rotated.decode([underA!, underB!]))).toEqual([order, order]);
  });

  it('refuses a payload of a key it does not have, naming that key and the ones it has', async () => {
    const [underA] = await new EncryptionCodec([keyA]).encode([jsonPayload(order)]);
    const error: unknown = await new EncryptionCodec([keyB]).decode([underA!]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownPayloadKeyError);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error).toMatchObject({
      keyId: 'key-a',
      message:
        "Cannot decrypt a payload encrypted with key 'key-a': no such key here (this process has 'key-b'); " +
        'list it, after the newest, in PAYLOAD_KEYS or PAYLOAD_KEY_FILE',
    });
  });

  describe('refuses a payload that does not authenticate', () => {
    const codec = new EncryptionCodec([keyB, keyA]);
    const notAuthentic = (keyId: string) =>
      `Cannot decrypt a payload encrypted with key '${keyId}': it does not authenticate (another key under that id, or altered)`;

    it('when a byte of its ciphertext was altered', async () => {
      const [sealed] = await codec.encode([jsonPayload(order)]);
      const altered = Buffer.from(sealed!.data!);
      altered.writeUInt8(altered.readUInt8(20) ^ 1, 20);
      const decoding = codec.decode([{ ...sealed!, data: altered }]);
      await expect(decoding).rejects.toThrow(PayloadDecryptionError);
      await expect(decoding).rejects.toThrow(notAuthentic('key-b'));
    });

    it('when it is relabelled with another key id', async () => {
      const [sealed] = await codec.encode([jsonPayload(order)]);
      const relabelled = { ...sealed!, metadata: { ...sealed!.metadata, [keyIdMetadataKey]: Buffer.from('key-a') } };
      await expect(codec.decode([relabelled])).rejects.toThrow(notAuthentic('key-a'));
    });

    it('when another key now has its id', async () => {
      const [sealed] = await codec.encode([jsonPayload(order)]);
      const reissued = new EncryptionCodec([generatePayloadKey('key-b')]);
      await expect(reissued.decode([sealed!])).rejects.toThrow(notAuthentic('key-b'));
    });
  });

  it('refuses an encrypted payload that names no key, or whose data is cut short', async () => {
    const codec = new EncryptionCodec([keyA]);
    const [sealed] = await codec.encode([jsonPayload(order)]);
    const unnamed = { ...sealed!, metadata: { encoding: sealed!.metadata!.encoding! } };
    await expect(codec.decode([unnamed])).rejects.toThrow(`Cannot decrypt a payload: it has no ${keyIdMetadataKey}`);
    const truncated = { ...sealed!, data: sealed!.data!.subarray(0, 20) };
    await expect(codec.decode([truncated])).rejects.toThrow(
      "Cannot decrypt a payload encrypted with key 'key-a': its data is truncated",
    );
  });

  it('passes a payload that is not encrypted through as it is: histories from before encryption', async () => {
    const codec = new EncryptionCodec([keyA]);
    const plain = jsonPayload(order);
    const [sealed] = await codec.encode([jsonPayload('sealed')]);
    const [passed, opened] = await codec.decode([plain, sealed!]);
    expect(passed).toEqual(jsonPayload(order));
    expect(defaultPayloadConverter.fromPayload(opened!)).toBe('sealed');
  });
});

describe('the development key', () => {
  it('is made under DATA_DIR when no key is configured, and a restart reads it again', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'temporal-saga-keys-'));
    try {
      const config = loadConfig({ DATA_DIR: dataDir });
      expect(config.payloadKeys).toEqual({ kind: 'development', file: path.join(dataDir, 'payload-keys') });
      const first = await loadPayloadEncryption(config);
      const again = await loadPayloadEncryption(config);
      expect([first.createdDevelopmentKey, again.createdDevelopmentKey]).toEqual([true, false]);
      expect(again.codec.encryptingKeyId).toBe(first.codec.encryptingKeyId);
      const [sealed] = await first.codec.encode([defaultPayloadConverter.toPayload('hello')]);
      expect(defaultPayloadConverter.fromPayload((await again.codec.decode([sealed!]))[0]!)).toBe('hello');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
