/**
 * Workflow stack traces, and what they cost. For the `__stack_trace` query (the Web UI's Stack Trace tab), the SDK
 * hooks every promise a workflow creates: it compiles a function to find the workflow, and captures and source-maps
 * an `Error` stack. Measured under the order system's load, that hook was over half of the workflow thread's CPU
 * (docs/benchmarks.md#backlog), for a query nobody runs in production: a saga says where it is by its own state.
 *
 * {@link withoutWorkflowStackTraces} turns the hook off for the whole process: in this thread (where replay runs
 * workflows) and in every workflow thread the SDK starts afterwards. Errors thrown in workflow code keep their
 * source-mapped stacks (that is another hook, left on); the query then answers that stack traces are not enabled.
 *
 * It relies on an internal of @temporalio/worker 1.24 (`lib/workflow/vm-shared`'s global handlers, installed once
 * per thread). If that moves, it returns false and workers run as before, with the hook.
 */
import workerThreads from 'node:worker_threads';

/** Where the SDK's workflow threads start: each installs the hooks in `vmShared` before it runs a workflow. */
const workflowThreadFile = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]workflow-worker-thread\.js$/;

interface GlobalHandlers {
  setPromiseHook(): void;
  stopPromiseHook(): void;
  promiseHookInstalled: boolean;
}

/**
 * Keeps the SDK from installing its promise hook in a thread: its install (once per thread, as a workflow worker
 * or replayer is created) still sets the source-mapping stack formatter, and `promiseHookInstalled` stays false, so
 * that workflows answer the query "not enabled". Plain JavaScript, since a workflow thread runs it first.
 */
const skipPromiseHook = (vmShared: string) =>
  `require(${JSON.stringify(vmShared)}).globalHandlers.setPromiseHook = () => {};`;

let off = false;

/**
 * Turns the SDK's per-promise stack capture off in this process, for every worker created after the call (and for
 * replay). Idempotent. Returns whether it is off.
 */
export function withoutWorkflowStackTraces(): boolean {
  if (off) return true;
  let vmShared: string;
  try {
    vmShared = require.resolve('@temporalio/worker/lib/workflow/vm-shared');
    // This thread, where replay runs workflows; nothing else of it changes (its errors' stacks are Node's own).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { globalHandlers } = require(vmShared) as { globalHandlers: GlobalHandlers };
    globalHandlers.setPromiseHook = () => undefined;
    if (globalHandlers.promiseHookInstalled) {
      globalHandlers.stopPromiseHook(); // a replay ran here before
      globalHandlers.promiseHookInstalled = false;
    }
  } catch {
    return false;
  }
  const SdkWorker = workerThreads.Worker;
  // The SDK starts its workflow threads from a file of its own, with no options to add a preload: such a thread
  // starts from a line of code instead, which skips the hook and then loads that file, as the SDK would have.
  class WorkflowThread extends SdkWorker {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      if (typeof filename === 'string' && workflowThreadFile.test(filename) && !options?.eval) {
        super(`${skipPromiseHook(vmShared)}\nrequire(${JSON.stringify(filename)});`, { ...options, eval: true });
      } else {
        super(filename, options);
      }
    }
  }
  (workerThreads as { Worker: typeof SdkWorker }).Worker = WorkflowThread;
  off = true;
  return true;
}
