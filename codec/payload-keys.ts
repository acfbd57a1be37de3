/**
 * The keys that encrypt payloads, each with an id that every encrypted payload carries, so that keys rotate: the
 * newest key encrypts, and any key still listed decrypts what it once encrypted. A key is written
 * `<id>:<base64 of 32 random bytes>`: comma-separated in `PAYLOAD_KEYS`, one a line in a key file (blank lines and
 * `#` comments allowed), newest first in both.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';

/** One AES-256 key and the id that names it in the payloads it encrypts. */
export interface PayloadKey {
  id: string;
  /** 32 bytes. */
  material: Buffer;
}

/** The result of reading keys: the keys, newest first, or every problem found. */
export type PayloadKeysResult = { success: true; keys: PayloadKey[] } | { success: false; problems: string[] };

/** Bytes in an AES-256 key. */
export const keyLength = 32;

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses `<id>:<base64>` entries; `where(index)` names an entry in a problem (`entry 2`, `line 3`). Problems never
 * quote key material.
 */
export function parsePayloadKeys(
  entries: readonly string[],
  where: (index: number) => string = (index) => `entry ${index + 1}`,
): PayloadKeysResult {
  const keys: PayloadKey[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const encoded = entry.slice(separator + 1).trim();
    if (separator < 0 || !keyIdPattern.test(id) || !base64Pattern.test(encoded)) {
      problems.push(`${where(index)}: expected <id>:<base64 of ${keyLength} bytes>, the id of letters, digits and ._-`);
      return;
    }
    const material = Buffer.from(encoded, 'base64');
    if (material.length !== keyLength) {
      problems.push(`${where(index)}: key '${id}' is ${material.length} bytes, expected ${keyLength}`);
    } else if (keys.some((key) => key.id === id)) {
      problems.push(`${where(index)}: key id '${id}' appears twice`);
    } else {
      keys.push({ id, material });
    }
  });
  return problems.length ? { success: false, problems } : { success: true, keys };
}

/** The keys of a key file's text: one a line, newest first; blank lines and `#` comments are skipped. */
export function parseKeyFile(text: string): PayloadKeysResult {
  const lines = text.split(/\r?\n/).map((line, index) => ({ line: line.trim(), number: index + 1 }));
  const entries = lines.filter(({ line }) => line !== '' && !line.startsWith('#'));
  return parsePayloadKeys(
    entries.map(({ line }) => line),
    (index) => `line ${entries[index]!.number}`,
  );
}

/** A new random key, for development or to add to the front of a key list. */
export function generatePayloadKey(id: string): PayloadKey {
  return { id, material: randomBytes(keyLength) };
}

/** A key as it is written in `PAYLOAD_KEYS` and key files. */
export function formatPayloadKey({ id, material }: PayloadKey): string {
  return `${id}:${material.toString('base64')}`;
}

/** Where a development process keeps its key when none is configured: beside the embedded server's history. */
export function developmentKeyFile(dataDir: string): string {
  return path.join(dataDir, 'payload-keys');
}

/** The development key file's text: one new key, and what the file is. */
export function newDevelopmentKeyFile(): string {
  const key = generatePayloadKey(`dev-${randomUUID().slice(0, 8)}`);
  return [
    '# Development payload keys, made by the first start without PAYLOAD_KEYS or PAYLOAD_KEY_FILE.',
    '# One <id>:<base64 of 32 bytes> a line, newest first: the first encrypts, every one decrypts.',
    '# Not for production, which refuses to start without a configured key.',
    formatPayloadKey(key),
    '',
  ].join('\n');
}
