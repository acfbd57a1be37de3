/**
 * The one data converter of the project: the SDK's JSON payload converter, then the {@link EncryptionCodec}. Every
 * client, worker, replayer, codec server, benchmark and test builds it here from the configuration, so that they
 * all read what the others wrote.
 */
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { StartupError } from '../config/startup';
import { EncryptionCodec } from './encryption-codec';
import type { PayloadKey } from './payload-keys';
import { newDevelopmentKeyFile, parseKeyFile } from './payload-keys';
import { readOrCreateSecretFile } from './secret-file';

export interface PayloadEncryption {
  /** For `new Client({ dataConverter })`, `Worker.create({ dataConverter })` and the replayer. */
  dataConverter: DataConverter;
  /** The codec itself, which the codec server runs. */
  codec: EncryptionCodec;
  /** Where the keys came from, for start-up lines: `PAYLOAD_KEYS`, a file's path. */
  keySource: string;
  /** A development key file was made just now, by this process. */
  createdDevelopmentKey: boolean;
}

/**
 * The payload codec's keys, as configured; in development with none configured, the development key file under
 * `DATA_DIR`, made on the first start so that a restart decodes what the last run wrote.
 */
export async function loadPayloadEncryption(config: Config): Promise<PayloadEncryption> {
  let keys: readonly PayloadKey[];
  let keySource: string;
  let createdDevelopmentKey = false;
  if (config.payloadKeys.kind === 'configured') {
    ({ keys, source: keySource } = config.payloadKeys);
  } else {
    const { file } = config.payloadKeys;
    const { text, created } = await readOrCreateSecretFile(file, newDevelopmentKeyFile).catch((error: unknown) => {
      throw new StartupError(
        `Cannot create the development payload key file ${file} (${(error as NodeJS.ErrnoException).code}): ` +
          'set DATA_DIR to a writable folder, or set PAYLOAD_KEYS.',
      );
    });
    const parsed = parseKeyFile(text);
    if (!parsed.success || parsed.keys.length === 0) {
      const problem = parsed.success ? 'it holds no key' : parsed.problems.join('; ');
      throw new StartupError(`The development payload key file ${file} is not valid: ${problem}.`);
    }
    keys = parsed.keys;
    keySource = `the development key file ${file}`;
    createdDevelopmentKey = created;
  }
  const codec = new EncryptionCodec(keys);
  return { dataConverter: { payloadCodecs: [codec] }, codec, keySource, createdDevelopmentKey };
}

/** For start-up lines: which key encrypts and where it comes from, e.g. `key 'k2' (and 1 older) from PAYLOAD_KEYS`. */
export function describePayloadEncryption({ codec, keySource, createdDevelopmentKey }: PayloadEncryption): string {
  const older = codec.keyIds.length - 1;
  return (
    `key '${codec.encryptingKeyId}'${older ? ` (and ${older} older)` : ''} from ${keySource}` +
    (createdDevelopmentKey ? ', made now: production refuses to start without PAYLOAD_KEYS' : '')
  );
}
