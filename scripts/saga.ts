/**
 * `npm run saga -- <command>`: the operator's tool for sagas at scale, against the Temporal server in the
 * configuration (TEMPORAL_ADDRESS, namespace, TLS, API key and payload keys, as the workers connect).
 *
 * - `list` prints the sagas a visibility query selects, newest first: id, saga status, current step, start.
 * - `resolve` resolves the escalated compensation of every saga in `needs_attention` that a query selects, or of
 *   the sagas named by id, and prints what each one did: resolved, refused (with the saga's reason) or failed.
 *
 * Without `--step`, each saga is resolved at the step it waits on, as it published it (`SagaStep`). Exit codes: 0
 * when everything asked was done, 1 when a saga refused or a resolution failed (or Temporal did not answer), 2 for
 * a command line that makes no sense, with the usage.
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { BulkResolution, CompensationResolution } from '../api/saga';
import { listSagas, readSagaState, resolveCompensation, resolveCompensations } from '../api/saga';
import { loadPayloadEncryption } from '../codec/data-converter';
import { loadConfig } from '../config';
import { temporalConnectionOptions } from '../config/temporal';
import { ResolutionAction, SagaStatus, textTable } from '../workflows/saga';

const usage = `Usage:
  npm run saga -- list [--status <status>] [--query '<visibility query>'] [--limit N] [--json]
  npm run saga -- resolve --action retry|skip|abort (--query '<visibility query>' | <workflowId>...)
                          [--step <step>] [--reason '<why>'] [--json]

  list      the sagas the query selects (every saga by default), newest first; --limit (default 50) caps them
  resolve   the escalated compensation of every saga in needs_attention that the query selects, or of each saga
            named; --step resolves that step only (default: the step each saga waits on)

  status:   ${Object.values(SagaStatus).join(', ')}
  example:  npm run saga -- resolve --action retry --query "WorkflowType = 'placeOrder'" --reason 'provider is back'`;

/** A command line that makes no sense: said with the usage, exit 2. */
class UsageError extends Error {}

/** `--help`: the usage, exit 0. */
class HelpRequested extends Error {}

type Command =
  | { name: 'list'; query: string; limit: number; json: boolean }
  | {
      name: 'resolve';
      target: { query: string } | { workflowIds: string[] };
      action: ResolutionAction;
      step: string | undefined;
      reason: string | undefined;
      json: boolean;
    };

const sagaStatuses: readonly string[] = Object.values(SagaStatus);
const actions: readonly string[] = Object.values(ResolutionAction);

function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        status: { type: 'string' },
        query: { type: 'string' },
        limit: { type: 'string' },
        action: { type: 'string' },
        step: { type: 'string' },
        reason: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [name, ...rest] = positionals;
  if (values.help) throw new HelpRequested();
  if (values.query !== undefined && !values.query.trim()) throw new UsageError('--query is empty.');
  if (name === 'list') {
    if (rest.length > 0) throw new UsageError(`list takes no workflow ids; got ${rest.join(' ')}.`);
    for (const flag of ['action', 'step', 'reason'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} is for resolve, not list.`);
    }
    if (values.status !== undefined && !sagaStatuses.includes(values.status)) {
      throw new UsageError(`--status must be one of ${sagaStatuses.join(', ')}; got '${values.status}'.`);
    }
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number from 1.`);
    const clauses = [
      values.status === undefined ? 'SagaStatus IS NOT NULL' : `SagaStatus = '${values.status}'`,
      ...(values.query ? [`(${values.query})`] : []),
    ];
    return { name, query: clauses.join(' AND '), limit, json: values.json };
  }
  if (name === 'resolve') {
    if (values.status !== undefined || values.limit !== undefined) {
      throw new UsageError('--status and --limit are for list: resolve takes every saga in needs_attention.');
    }
    if (values.action === undefined || !actions.includes(values.action)) {
      throw new UsageError(`--action must be one of ${actions.join(', ')}.`);
    }
    if ((values.query === undefined) === (rest.length === 0)) {
      throw new UsageError('resolve needs --query or workflow ids, not both.');
    }
    return {
      name,
      target: values.query !== undefined ? { query: values.query } : { workflowIds: rest },
      action: values.action as ResolutionAction,
      step: values.step,
      reason: values.reason,
      json: values.json,
    };
  }
  throw new UsageError(name === undefined ? 'Name a command: list or resolve.' : `No command '${name}'.`);
}

async function list(client: Client, { query, limit, json }: Extract<Command, { name: 'list' }>): Promise<number> {
  const sagas = [];
  let cursor: string | undefined;
  do {
    const page = await listSagas(client, { query, pageSize: Math.min(limit - sagas.length, 100), cursor });
    sagas.push(...page.sagas);
    cursor = page.nextCursor;
  } while (cursor && sagas.length < limit);
  if (json) {
    console.log(JSON.stringify({ query, sagas, more: cursor !== undefined }, null, 2));
    return 0;
  }
  const attribute = (value: unknown) => (typeof value === 'string' ? value : '');
  const rows = sagas.map((saga) => [
    saga.workflowId,
    attribute(saga.searchAttributes.SagaStatus),
    attribute(saga.searchAttributes.SagaStep),
    saga.executionStatus,
    saga.startedAt ?? '',
  ]);
  console.log(`Sagas matching: ${query}`);
  if (rows.length > 0) {
    // The table without its markdown fences.
    console.log(
      textTable([['workflow id', 'saga status', 'step', 'execution', 'started'], ...rows])
        .slice(1, -1)
        .join('\n'),
    );
  }
  console.log(`\n${sagas.length} saga(s)${cursor ? `; more match: raise --limit (${limit})` : ''}`);
  return 0;
}

/**
 * Resolves every saga in `needs_attention` that `query` selects: at `step`, or each at the step it published it
 * waits on, one bulk resolution per step.
 */
async function resolveByQuery(
  client: Client,
  query: string,
  resolution: Omit<CompensationResolution, 'step'> & { step: string | undefined },
): Promise<BulkResolution> {
  const { step, ...decision } = resolution;
  if (step) return resolveCompensations(client, { query, resolution: { ...decision, step } });
  const waiting = `(${query}) AND SagaStatus = '${SagaStatus.NeedsAttention}' AND ExecutionStatus = 'Running'`;
  const sagasAt = new Map<string, string[]>();
  let cursor: string | undefined;
  do {
    const page = await listSagas(client, { query: waiting, pageSize: 100, cursor });
    for (const { workflowId, searchAttributes } of page.sagas) {
      const published = searchAttributes.SagaStep;
      if (typeof published === 'string') sagasAt.set(published, [...(sagasAt.get(published) ?? []), workflowId]);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const report: BulkResolution = { resolved: [], refused: [], failed: [] };
  for (const [waitingAt, workflowIds] of sagasAt) {
    // Step names are code, but a quote in one would break the query: those sagas are named, not guessed at.
    if (/['"\\]/.test(waitingAt)) {
      const error = `Its step '${waitingAt}' cannot be put in a visibility query: resolve it with --step.`;
      report.failed.push(...workflowIds.map((workflowId) => ({ workflowId, error })));
      continue;
    }
    const part = await resolveCompensations(client, {
      query: `(${query}) AND SagaStep = '${waitingAt}'`,
      resolution: { ...decision, step: waitingAt },
    });
    report.resolved.push(...part.resolved);
    report.refused.push(...part.refused);
    report.failed.push(...part.failed);
  }
  return report;
}

/** How long each named saga's worker has to take its resolution. */
const resolutionTimeoutMs = 10_000;

/** Resolves each named saga, at `step` or at the step its state says it waits on. */
async function resolveByIds(
  client: Client,
  workflowIds: readonly string[],
  resolution: Omit<CompensationResolution, 'step'> & { step: string | undefined },
): Promise<BulkResolution> {
  const report: BulkResolution = { resolved: [], refused: [], failed: [] };
  for (const workflowId of workflowIds) {
    try {
      const outcome = await client.connection.withDeadline(Date.now() + resolutionTimeoutMs, async () => {
        let step = resolution.step;
        if (!step) {
          const read = await readSagaState(client, workflowId);
          if (read.state.status !== SagaStatus.NeedsAttention) {
            return {
              accepted: false as const,
              reason: `The saga is ${read.state.status}: nothing waits for an operator.`,
            };
          }
          step = read.stale ? read.state.currentStep : read.state.escalations[0]?.step;
        }
        if (!step) return { accepted: false as const, reason: 'No step of the saga waits for an operator.' };
        return resolveCompensation(client, workflowId, { ...resolution, step });
      });
      if (outcome.accepted) report.resolved.push({ workflowId, resolution: outcome.resolution });
      else report.refused.push({ workflowId, reason: outcome.reason });
    } catch (error) {
      report.failed.push({ workflowId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}

async function resolve(client: Client, command: Extract<Command, { name: 'resolve' }>): Promise<number> {
  const { target, action, step, reason, json } = command;
  const resolution = { action, step, ...(reason !== undefined ? { reason } : {}) };
  if (!json) {
    const what =
      'query' in target ? `every saga in needs_attention matching: ${target.query}` : target.workflowIds.join(', ');
    console.log(`Resolving (${action}${step ? ` at ${step}` : ''}) ${what}`);
  }
  const report =
    'query' in target
      ? await resolveByQuery(client, target.query, resolution)
      : await resolveByIds(client, target.workflowIds, resolution);
  if (json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    for (const { workflowId, resolution: accepted } of report.resolved) {
      console.log(`✓ ${workflowId}: ${accepted.step} ${accepted.action}`);
    }
    for (const { workflowId, reason: refusal } of report.refused) console.log(`✗ ${workflowId} refused: ${refusal}`);
    for (const { workflowId, error } of report.failed) console.log(`! ${workflowId} failed: ${error}`);
    console.log(
      `\n${report.resolved.length} resolved, ${report.refused.length} refused, ${report.failed.length} failed`,
    );
  }
  return report.refused.length + report.failed.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const command = parseCommand(process.argv.slice(2));
  const config = loadConfig();
  // Memos and Update payloads are encrypted: the client reads and writes them with the workers' keys.
  const { dataConverter } = await loadPayloadEncryption(config);
  const connection = await Connection.connect(temporalConnectionOptions(config));
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
    return command.name === 'list' ? await list(client, command) : await resolve(client, command);
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof HelpRequested) {
      console.log(usage);
      process.exit(0);
    }
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
