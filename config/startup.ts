/**
 * How a process fails at start: one line on stderr that says what is wrong and where, then exit code 1. Invalid
 * configuration and an unreachable Temporal server are the usual causes; both are reported before any work
 * begins, so a deployment fails its rollout instead of running half-configured.
 */
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError } from './index';
import type { TemporalConnectionOptions } from './temporal';

/** A start-up failure whose message is already the one line to print. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * Both connections a worker process needs: the native one its workers poll on and a client (to start workflows
 * and complete activities by token). Fails with a {@link StartupError} naming the address when Temporal does not
 * answer.
 */
export async function connectToTemporal(
  options: TemporalConnectionOptions,
): Promise<{ nativeConnection: NativeConnection; connection: Connection }> {
  try {
    const nativeConnection = await NativeConnection.connect(options);
    try {
      return { nativeConnection, connection: await Connection.connect(options) };
    } catch (error) {
      await nativeConnection.close();
      throw error;
    }
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new StartupError(`Cannot reach Temporal at ${options.address}: ${reason}`);
  }
}

/** Prints why the process stops (one line for the known start-up causes, the whole error otherwise); exit code 1. */
export function reportFatalError(error: unknown): void {
  if (error instanceof ConfigError || error instanceof StartupError) console.error(error.message);
  else console.error('Stopped on an error:', error);
  process.exitCode = 1;
}
