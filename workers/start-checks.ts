/**
 * What `npm start` checks before it launches anything: that the ports it will listen on are free and that the
 * data folder takes writes. A failure is a {@link StartupError}: one line that names the cause and the variable
 * that fixes it, printed before any process or worker exists, so there is nothing to stop and nothing left behind.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { StartupError } from '../config/startup';

/** A port the process is about to listen on, and what moves it. */
export interface PlannedPort {
  port: number;
  host: string;
  /** e.g. "the API". */
  owner: string;
  /** The variable that moves it, e.g. `PORT`. */
  variable: string;
}

/** The one line for a port someone else holds. */
export function portInUseError({ port, host, owner, variable }: PlannedPort): StartupError {
  return new StartupError(
    `Port ${port} on ${host} (${owner}) is in use by another process: stop it, or set ${variable} to a free port.`,
  );
}

/** Whether `error` is a listen failure because the address is taken. */
export function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** Fails with {@link portInUseError} for the first planned port that something already listens on. */
export async function checkPortsFree(ports: readonly PlannedPort[]): Promise<void> {
  for (const planned of ports) {
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (error) =>
        reject(
          isAddressInUse(error)
            ? portInUseError(planned)
            : new StartupError(`Cannot listen on ${planned.host}:${planned.port} (${planned.owner}): ${error.message}`),
        ),
      );
      probe.listen(planned.port, planned.host, () => probe.close(() => resolve()));
    });
  }
}

/** Fails with a {@link StartupError} naming `variable` when `folder` cannot be created or written to. */
export async function checkFolderWritable(folder: string, variable: string): Promise<void> {
  const probe = path.join(folder, `.write-check-${randomUUID()}`);
  try {
    await mkdir(folder, { recursive: true });
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new StartupError(
      `Cannot write to the data folder ${folder} (${code}): set ${variable} to a writable folder.`,
    );
  }
}
