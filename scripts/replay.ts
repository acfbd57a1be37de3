/**
 * `npm run replay -- --query "<visibility query>" [--limit N] [--workflows <path> | --bundle <file>]`: the pre-deploy
 * check. Fetches the histories of the workflows that match the query from a live Temporal server (TEMPORAL_ADDRESS,
 * default localhost:7233; running and closed alike) and replays each against the workflow code: the workflows at
 * `--workflows` (default: this checkout's workflows/), bundled once, or the bundle `npm run build` made
 * (`--bundle dist/workflow-bundle.js`). A stream: the histories are fetched `--concurrency` at a time (default
 * 32) from the start, while the code is bundled, and replayed one after the other in one replay worker. One line
 * per workflow, a summary with the rate, and a non-zero exit if any fails: a change that would break the sagas
 * already running never reaches them.
 */
import path from 'node:path';
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

async function main(): Promise<number> {
  const began = performance.now();
  const options = parseArguments(process.argv.slice(2));
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // No replay reads the stack traces the SDK records for every promise: a third of a replay's CPU.
  withoutWorkflowStackTraces();
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
    for await (const result of Worker.runReplayHistories(
      { workflowBundle, dataConverter: decodeOnly(dataConverter), replayName: 'pre-deploy' },
      histories,
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
