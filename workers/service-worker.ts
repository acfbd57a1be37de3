/** What every service worker shares: its connection, its options, and how the orders worker gets workflow code. */
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
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

/** A worker that serves one service's activities on that service's own task queue, and nothing else. */
export function createActivityWorker(
  deps: ServiceWorkerDeps,
  taskQueue: TaskQueue,
  activities: NonNullable<WorkerOptions['activities']>,
): Promise<Worker> {
  return Worker.create({ ...serviceWorkerOptions, ...deps, taskQueue, activities });
}
