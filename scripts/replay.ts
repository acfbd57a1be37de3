/**
 * `npm run replay -- --query "<visibility query>" [--limit N] [--workflows <path> | --bundle <file>]`: the pre-deploy
 * check. Fetches the histories of the workflows that match the query from a live Temporal server (TEMPORAL_ADDRESS,
 * default localhost:7233; running and closed alike) and replays each against the workflow code: the workflows at
 * `--workflows` (default: this checkout's workflows/), bundled once, or the bundle `npm run build` made
 * (`--bundle dist/workflow-bundle.js`). A stream: the histories are fetched `--concurrency` at a time (default
 * 32) from the start, while the code is bundled, and replayed by two replay workers sharing one thread. One line
 * per workflow, a summary with the rate, and a non-zero exit if any fails: a change that would break the sagas
 * already running never reaches them.
 */
import path from 'node:path';
import vm from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter, HistoryAndWorkflowId, Payload } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import { sagaInterceptorModules, withoutWorkflowStackTraces } from '../workers/saga';
import { workflowsPath } from '../workers/service-worker';

interface Options {
  query: string;
  limit: number;
  /** Workflow code to bundle, or a bundle already built. */
  code: { workflows: string } | { bundle: string };
  concurrency: number;
}

const usage =
  'Usage: npm run replay -- --query "<visibility query>" [--limit N] [--concurrency N]' +
  ' [--workflows <path> | --bundle <file>]';

function parseArguments(argv: readonly string[]): Options {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const query = value('--query');
  const limit = Number(value('--limit') ?? 1000);
  const concurrency = Number(value('--concurrency') ?? 32);
  const bundle = value('--bundle');
  const workflows = value('--workflows');
  const whole = (number: number) => Number.isInteger(number) && number >= 1;
  if (!query || !whole(limit) || !whole(concurrency) || (bundle && workflows)) throw new Error(usage);
  return {
    query,
    limit,
    concurrency,
    code: bundle ? { bundle: path.resolve(bundle) } : { workflows: path.resolve(workflows ?? workflowsPath) },
  };
}

/** How many histories the check holds, fetched and not yet replayed: what bounds its memory. */
const readAhead = 256;

/**
 * Pulls `source` from now on, `limit` items at most and {@link readAhead} ahead of the reader, whether or not anyone
 * reads yet, and hands the items out in order: the histories arrive while the code is bundled. Each is let go once
 * handed out.
 */
function prefetch<T>(source: AsyncIterable<T>, limit: number): AsyncIterable<T> {
  const items: (T | undefined)[] = [];
  let handedOut = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let room: (() => void) | undefined;
  const arrived = () => {
    wake?.();
    wake = undefined;
  };
  void (async () => {
    try {
      for await (const item of source) {
        items.push(item);
        arrived();
        if (items.length >= limit) break;
        while (items.length - handedOut >= readAhead) await new Promise<void>((resolve) => (room = resolve));
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      arrived();
    }
  })();
  return {
    async *[Symbol.asyncIterator]() {
      for (let next = 0; ;) {
        if (next < items.length) {
          const item = items[next] as T;
          items[next++] = undefined;
          handedOut = next;
          room?.();
          room = undefined;
          yield item;
        } else if (failure) {
          throw failure.error;
        } else if (finished) {
          return;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
    },
  };
}

/**
 * A replay worker takes one history at a time, and waits on the SDK's core between a history's activations: a
 * second one in the same thread runs its workflow code meanwhile (measured: a fifth more histories a second; a third
 * adds nothing, nor do workflow threads, which copy every activation across).
 */
const replayWorkers = 2;

/**
 * `count` readers of one stream, each item read by one of them: whoever asks first takes the next. A reader that
 * stops early leaves the stream to the others.
 */
function shares<T>(source: AsyncIterable<T>, count: number): AsyncIterable<T>[] {
  const iterator = source[Symbol.asyncIterator]();
  const share: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () => iterator.next(),
      return: () => Promise.resolve({ done: true, value: undefined }),
    }),
  };
  return Array.from({ length: count }, () => share);
}

/**
 * Replay needs the histories' payloads decoded, and nothing it encodes leaves the process (the determinism check
 * compares commands, not their payloads): encrypting each command's payloads with a fresh IV would be wasted.
 */
function decodeOnly({ payloadCodecs = [], ...rest }: DataConverter): DataConverter {
  return {
    ...rest,
    payloadCodecs: payloadCodecs.map((codec) => ({
      encode: (payloads: Payload[]) => Promise.resolve(payloads),
      decode: (payloads: Payload[]) => codec.decode(payloads),
    })),
  };
}

/** The timeout the SDK gives replay's calls into workflow code (its debug mode): 2^32 - 1 ms, 49 days. */
const unlimited = 2 ** 32 - 1;

/**
 * The SDK replays with no limit on a workflow activation in practice ({@link unlimited}), and still passes it as a
 * timeout to every call into the workflow's V8 context, which Node enforces by starting a watchdog thread per call:
 * a third of a replay's CPU here (docs/benchmarks.md#replay). A limit that never fires is no limit: the check runs
 * those calls without one. Any shorter timeout is kept; if the SDK's replay default changes, nothing changes here.
 */
function withoutUnlimitedWatchdog(): void {
  type RunInContext = (this: vm.Script, context: vm.Context, options?: vm.RunningScriptOptions) => unknown;
  const { prototype } = vm.Script;
  const runInContext = Object.getOwnPropertyDescriptor(prototype, 'runInContext')?.value as RunInContext;
  prototype.runInContext = function (this: vm.Script, context, options) {
    return runInContext.call(
      this,
      context,
      options?.timeout === unlimited ? { ...options, timeout: undefined } : options,
    );
  };
}

async function main(): Promise<number> {
  const began = performance.now();
  const options = parseArguments(process.argv.slice(2));
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // No replay reads the stack traces the SDK records for every promise: a third of a replay's CPU.
  withoutWorkflowStackTraces();
  withoutUnlimitedWatchdog();
  // The histories hold encrypted payloads: the replayer decrypts them with the workers' keys.
  const { dataConverter } = await loadPayloadEncryption(config);
  const connectionOptions = temporalConnectionOptions(config);
  const connection = await Connection.connect(connectionOptions);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
    const code = 'bundle' in options.code ? options.code.bundle : options.code.workflows;
    console.log(`Replaying up to ${options.limit} workflow(s) matching: ${options.query}`);
    console.log(`  from ${connectionOptions.address} (namespace '${config.temporal.namespace}')`);
    console.log(`  against ${path.relative(process.cwd(), code) || code}`);
    const histories = prefetch<HistoryAndWorkflowId>(
      client.workflow.list({ query: options.query }).intoHistories({ concurrency: options.concurrency }),
      options.limit,
    );
    // With the interceptor the workers run: without it, a step's plain proxyActivities would replay unscoped.
    const workflowBundle =
      'bundle' in options.code
        ? { codePath: options.code.bundle }
        : await bundleWorkflowCode({
            workflowsPath: options.code.workflows,
            workflowInterceptorModules: sagaInterceptorModules,
            logger: new DefaultLogger('WARN'),
          });

    const failed: string[] = [];
    let replayed = 0;
    const replayWorker = async (share: AsyncIterable<HistoryAndWorkflowId>) => {
      for await (const result of Worker.runReplayHistories(
        { workflowBundle, dataConverter: decodeOnly(dataConverter), replayName: 'pre-deploy' },
        share,
      )) {
        replayed += 1;
        if (result.error) {
          failed.push(result.workflowId);
          console.log(
            `✗ [${replayed}] ${result.workflowId}: ${result.error.name}: ${result.error.message.split('\n')[0]}`,
          );
        } else {
          console.log(`✓ [${replayed}] ${result.workflowId}`);
        }
      }
    };
    await Promise.all(shares(histories, replayWorkers).map(replayWorker));
    const seconds = (performance.now() - began) / 1000;
    console.log(
      `\n${replayed} replayed, ${replayed - failed.length} compatible, ${failed.length} incompatible` +
        (failed.length ? `:\n  ${failed.join('\n  ')}` : '') +
        `\n${seconds.toFixed(1)} s from start to end: ${(replayed / seconds).toFixed(0)} histories per second`,
    );
    return failed.length === 0 ? 0 : 1;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
