/** What the chaos run prints: a progress line while it runs, and its figures and findings at the end. */
import type { SagaState } from '../../workflows/saga';
import type { InjectedFault } from './faults';
import type { FinalOrder, Violation } from './invariants';
import type { ChaosOptions } from './options';
import type { ProcessDeath } from './supervised-process';
import type { CancelOutcome, OrderRecord } from './traffic';

export interface ProgressFigures {
  seconds: number;
  placed: number;
  total: number;
  /** Order sagas closed, from visibility; undefined while the server does not answer. */
  settled: number | undefined;
  records: readonly OrderRecord[];
  faults: number;
  /** The fault under way, if any. */
  currentFault: string | undefined;
  deaths: number;
}

export function progressLine(figures: ProgressFigures): string {
  const cancels = countBy(figures.records.flatMap((record) => (record.cancel ? [record.cancel.kind] : [])));
  const parts = [
    `placed ${figures.placed}/${figures.total}`,
    `settled ${figures.settled ?? '? (server down)'}`,
    `cancels ${cancels.get('accepted') ?? 0} accepted, ${cancels.get('refused') ?? 0} refused`,
    `faults ${figures.faults}${figures.currentFault ? ` (now: ${figures.currentFault})` : ''}`,
    ...(figures.deaths ? [`processes died on their own: ${figures.deaths}`] : []),
  ];
  return `[${String(figures.seconds).padStart(4)} s] ${parts.join(' · ')}`;
}

/** The step whose action was running when an accepted cancellation arrived, if one was. */
export function actionInFlightAtCancel(saga: SagaState): string | undefined {
  const at = saga.cancellation?.outcome === 'accepted' ? saga.cancellation.requestedAt : undefined;
  if (!at) return undefined;
  return saga.steps.find(
    // Workflow time: a step started in the same workflow task as the cancellation had not begun when it arrived.
    (step) => step.startedAt && step.startedAt < at && (!step.finishedAt || step.finishedAt >= at),
  )?.name;
}

export interface RunFigures {
  options: ChaosOptions;
  seconds: number;
  records: readonly OrderRecord[];
  finals: readonly FinalOrder[];
  faults: readonly InjectedFault[];
  deaths: readonly ProcessDeath[];
  /** Orders whose saga had not ended within the bound. */
  stuck: readonly string[];
  violations: readonly Violation[];
}

export function summary(run: RunFigures): string {
  const { options, records, finals, faults } = run;
  const lines: string[] = [];
  const storage = options.postgresUrl ? 'PostgreSQL' : 'SQLite';
  lines.push(
    `chaos: ${records.length} orders at ${options.rate}/s, seed ${options.seed}, services on ${storage}: ${run.seconds} s`,
  );

  const placed = records.filter((record) => record.orderId).length;
  const retried = records.filter((record) => record.retries > 0).length;
  lines.push(
    `orders: ${placed} placed (${retried} needed a request sent again); ended ${formatCounts(countBy(finals.map((order) => order.status)))}`,
  );
  const byKind = new Map<string, Map<string, number>>();
  for (const { record, status } of finals) {
    const counts = byKind.get(record.plan.kind) ?? new Map<string, number>();
    counts.set(status, (counts.get(status) ?? 0) + 1);
    byKind.set(record.plan.kind, counts);
  }
  for (const [kind, counts] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${kind.padEnd(13)} ${formatCounts(counts)}`);
  }

  const cancelled = finals.filter(({ record }) => record.cancel);
  // An attempt whose answer was lost may have been accepted: the saga's own record says.
  const accepted = cancelled.filter(
    ({ record, saga }) => record.cancel?.kind === 'accepted' || saga.cancellation?.outcome === 'accepted',
  );
  const unanswered = cancelled.filter(
    (order) => !accepted.includes(order) && order.record.cancel?.kind === 'unanswered',
  );
  const refused = cancelled.filter((order) => !accepted.includes(order) && !unanswered.includes(order));
  const inFlight = countBy(accepted.flatMap(({ saga }) => actionInFlightAtCancel(saga) ?? []));
  const inFlightTotal = [...inFlight.values()].reduce((sum, count) => sum + count, 0);
  const acceptedUnseen = accepted.filter(({ record }) => record.cancel?.kind !== 'accepted').length;
  lines.push(
    `cancels: ${cancelled.length} sent; ${accepted.length} accepted` +
      (acceptedUnseen ? ` (${acceptedUnseen} of them by an attempt whose answer the client lost)` : '') +
      `, ${inFlightTotal} of them while an action was in flight (${formatCounts(inFlight) || 'none'}); ` +
      `${refused.length} refused (${formatCounts(countBy(refused.map(({ record }) => refusalOf(record.cancel)))) || 'none'})` +
      (unanswered.length ? `; ${unanswered.length} never answered` : ''),
  );

  lines.push(`faults: ${faults.length} injected: ${formatCounts(countBy(faults.map((fault) => fault.name)))}`);
  for (const fault of faults) {
    lines.push(
      `  ${String(fault.atSeconds).padStart(4)} s  ${fault.name}` +
        (fault.sagasRunning !== undefined ? `, ${fault.sagasRunning} sagas running` : '') +
        (fault.detail ? ` (${fault.detail})` : ''),
    );
  }

  lines.push(`processes that died on their own: ${run.deaths.length || 'none'}`);
  for (const death of run.deaths) {
    lines.push(`  ${death.atSeconds} s  ${death.name} exited (${death.exit}):`, indent(death.lastWords, 4));
  }
  const errors = records.filter((record) => record.error);
  if (errors.length) lines.push(`requests the API refused: ${errors.length}`);
  for (const record of errors) lines.push(`  #${record.plan.index}: ${record.error}`);

  lines.push(`sagas not ended: ${run.stuck.length}`);
  const rules = formatCounts(countBy(run.violations.map((violation) => violation.rule)));
  lines.push(`violations: ${run.violations.length}${rules ? ` (${rules})` : ''}`);
  for (const violation of run.violations) {
    lines.push(`  ${violation.rule}${violation.orderId ? ` [order ${violation.orderId}]` : ''}: ${violation.detail}`);
  }
  return lines.join('\n');
}

/** Why a cancellation was refused, in a few words (the saga's reasons: workflows/saga/phase.ts). */
function refusalOf(cancel: CancelOutcome | undefined): string {
  const reason = cancel && cancel.kind !== 'accepted' ? cancel.reason : '';
  if (/passed its pivot/.test(reason)) return 'after the pivot';
  if (/pivot step .* is running/.test(reason)) return 'pivot in flight';
  if (/already stopping/.test(reason)) return 'already stopping';
  const ended = /The saga is (\w+)/.exec(reason);
  return ended ? `saga ${ended[1]}` : reason || 'unknown';
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function formatCounts(counts: Map<string, number>): string {
  return [...counts]
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');
}
