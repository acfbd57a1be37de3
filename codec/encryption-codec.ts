/**
 * The payload codec: every payload a client or worker sends (workflow and activity inputs and results, queries,
 * memos, summaries) leaves encrypted with AES-256-GCM, so that Temporal's history holds ciphertext only. The whole
 * payload (its metadata and data) is serialized and encrypted into the data of a new payload whose metadata says
 * `encoding: binary/encrypted` and names the key in `encryption-key-id`; the key id is also authenticated, so a
 * payload cannot be passed off as another key's.
 *
 * Keys rotate: the newest key encrypts, any configured key decrypts what it encrypted, and a payload without the
 * encrypted encoding (a history recorded before encryption) passes through as it is. Search attributes are not
 * payloads the codec sees: the server indexes them, so they never hold customer data.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { METADATA_ENCODING_KEY } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKey } from './payload-keys';

/** The `encoding` of an encrypted payload. */
export const encryptedEncoding = 'binary/encrypted';
/** The metadata field that names the key a payload is encrypted with. */
export const keyIdMetadataKey = 'encryption-key-id';

const algorithm = 'aes-256-gcm';
const ivLength = 12;
const tagLength = 16;

const text = (bytes: Uint8Array | undefined | null) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A payload that cannot be decrypted; the message says which key and why. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
  constructor(
    readonly keyId: string | undefined,
    reason: string,
  ) {
    super(`Cannot decrypt a payload${keyId === undefined ? '' : ` encrypted with key '${keyId}'`}: ${reason}`);
  }
}

/** A payload encrypted with a key this process does not have: a key was dropped from the list too early. */
export class UnknownPayloadKeyError extends PayloadDecryptionError {
  override name = 'UnknownPayloadKeyError';
  constructor(keyId: string, knownIds: readonly string[]) {
    super(
      keyId,
      `no such key here (this process has ${knownIds.map((id) => `'${id}'`).join(', ')}); ` +
        'list it, after the newest, in PAYLOAD_KEYS or PAYLOAD_KEY_FILE',
    );
  }
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;
  /** The key that encrypts: the first, newest one. */
  readonly encryptingKeyId: string;

  /** @param keys newest first; at least one. */
  constructor(keys: readonly PayloadKey[]) {
    if (!keys[0]) throw new Error('The encryption codec needs at least one key.');
    this.encryptingKeyId = keys[0].id;
    this.keys = new Map(keys.map((key) => [key.id, key.material]));
  }

  /** Every key id, newest first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.encryptingKeyId;
    const key = this.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(ivLength);
      const cipher = createCipheriv(algorithm, key, iv, { authTagLength: tagLength });
      cipher.setAAD(Buffer.from(keyId));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(encryptedEncoding),
          [keyIdMetadataKey]: Buffer.from(keyId),
        },
        data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== encryptedEncoding) return payload;
      const keyId = text(payload.metadata?.[keyIdMetadataKey]);
      if (keyId === undefined) throw new PayloadDecryptionError(undefined, `it has no ${keyIdMetadataKey}`);
      const key = this.keys.get(keyId);
      if (!key) throw new UnknownPayloadKeyError(keyId, this.keyIds);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < ivLength + tagLength) throw new PayloadDecryptionError(keyId, 'its data is truncated');
      const decipher = createDecipheriv(algorithm, key, data.subarray(0, ivLength), { authTagLength: tagLength });
      decipher.setAAD(Buffer.from(keyId));
      decipher.setAuthTag(data.subarray(data.length - tagLength));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(ivLength, data.length - tagLength)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(keyId, 'it does not authenticate (another key under that id, or altered)');
      }
      const { metadata, data: inner } = temporal.api.common.v1.Payload.decode(plain);
      return { metadata, data: inner };
    });
  }
}
