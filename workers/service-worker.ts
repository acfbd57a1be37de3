/** What every service worker shares: its connection, its options, and how the orders worker gets workflow code. */
import type { LogLevel, LogMetadata, NativeConnection, WorkerOptions } from '@temporalio/worker';
import { DefaultLogger, Worker } from '@temporalio/worker';
import type { TaskQueue } from '../workflows/task-queues';

export interface ServiceWorkerDeps {
  connection: NativeConnection;
  namespace: string;
}

/**
 * Workflow code: a path that the worker bundles at start (about a second), or a bundle made once beforehand and
 * shared, as the test suite does.
 */
export type WorkflowSource = Pick<WorkerOptions, 'workflowsPath'> | Pick<WorkerOptions, 'workflowBundle'>;

/** The workflows entry point, for `workflowsPath` and `bundleWorkflowCode`. */
export const workflowsPath = require.resolve('../workflows');

/** Shared by every service worker. */
export const serviceWorkerOptions = {
  /** In-flight activities get this long to finish on shutdown before they are cancelled. */
  shutdownGraceTime: '10 seconds',
} as const satisfies Partial<WorkerOptions>;

/**
 * Warnings and errors, minus the notices that a worker has no workflows or no activities: each service worker
 * serves only one kind by design, so those say nothing.
 */
class ServiceWorkerLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (/^No (workflows|activities) registered/.test(message)) return;
    super.log(level, message, meta);
  }
}

export const serviceWorkerLogger = new ServiceWorkerLogger('WARN');

/** A worker that serves one service's activities on that service's own task queue, and nothing else. */
export function createActivityWorker(
  deps: ServiceWorkerDeps,
  taskQueue: TaskQueue,
  activities: NonNullable<WorkerOptions['activities']>,
): Promise<Worker> {
  return Worker.create({ ...serviceWorkerOptions, ...deps, taskQueue, activities });
}
