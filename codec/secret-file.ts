/**
 * A secret a development process makes for itself on its first start (the payload key, the codec server's token),
 * kept in a file under the data folder so that a restart finds the same one.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The contents of `file`, written first with `create()` when it does not exist. Creation is atomic (a complete
 * file appears under its name, or nothing), so processes that start together share one file; it is readable by
 * its owner only.
 */
export async function readOrCreateSecretFile(
  file: string,
  create: () => string,
): Promise<{ text: string; created: boolean }> {
  try {
    return { text: await readFile(file, 'utf8'), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const draft = `${file}.${randomUUID()}.tmp`;
  const text = create();
  await writeFile(draft, text, { mode: 0o600 });
  try {
    await link(draft, file);
    return { text, created: true };
  } catch (error) {
    // Another process created it meanwhile: theirs is the one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { text: await readFile(file, 'utf8'), created: false };
  } finally {
    await rm(draft, { force: true });
  }
}
