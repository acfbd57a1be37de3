/**
 * `npm run replay -- --query "<visibility query>" [--limit N] [--workflows <path>]`: the pre-deploy check. Fetches
 * the histories of the workflows that match the query from a live Temporal server (TEMPORAL_ADDRESS, default
 * localhost:7233; running and closed alike) and replays each against the workflow code at `--workflows` (default:
 * this checkout's workflows/). One line per workflow, a summary, and a non-zero exit if any fails: a change that
 * would break the sagas already running never reaches them.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { HistoryAndWorkflowId } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import { sagaInterceptorModules } from '../workers/saga';
import { workflowsPath } from '../workers/service-worker';

interface Options {
  query: string;
  limit: number;
  workflows: string;
}

function parseArguments(argv: readonly string[]): Options {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const query = value('--query');
  const limit = Number(value('--limit') ?? 100);
  if (!query || !Number.isInteger(limit) || limit < 1) {
    throw new Error('Usage: npm run replay -- --query "<visibility query>" [--limit N] [--workflows <path>]');
  }
  return { query, limit, workflows: path.resolve(value('--workflows') ?? workflowsPath) };
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  // The histories hold encrypted payloads: the replayer decrypts them with the workers' keys.
  const { dataConverter } = await loadPayloadEncryption(config);
  const connectionOptions = temporalConnectionOptions(config);
  const connection = await Connection.connect(connectionOptions);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
    console.log(`Replaying up to ${options.limit} workflow(s) matching: ${options.query}`);
    console.log(`  from ${connectionOptions.address} (namespace '${config.temporal.namespace}')`);
    console.log(`  against ${path.relative(process.cwd(), options.workflows) || options.workflows}`);
    // With the interceptor the workers run: without it, a step's plain proxyActivities would replay unscoped.
    const bundle = await bundleWorkflowCode({
      workflowsPath: options.workflows,
      workflowInterceptorModules: sagaInterceptorModules,
      logger: new DefaultLogger('WARN'),
    });

    async function* histories(): AsyncIterable<HistoryAndWorkflowId> {
      let fetched = 0;
      for await (const history of client.workflow.list({ query: options.query }).intoHistories()) {
        if (fetched++ >= options.limit) return;
        yield history;
      }
    }

    const failed: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: bundle, dataConverter, replayName: 'pre-deploy' },
      histories(),
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
    console.log(
      `\n${replayed} replayed, ${replayed - failed.length} compatible, ${failed.length} incompatible` +
        (failed.length ? `:\n  ${failed.join('\n  ')}` : ''),
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
