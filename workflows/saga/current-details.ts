/**
 * The saga's state as markdown, for the Web UI's "current details" (refreshed on every transition; read through
 * the built-in metadata query, so it needs a polling worker) and for the memo a finished saga leaves behind.
 *
 * The steps are a fixed-width block ({@link textTable}) whose columns fit the ~60 characters of the UI's
 * current-details pane. Times are the saga's start once, in the heading, then durations. Messages and reasons come
 * from outside the engine (a service's refusal, a customer's cancellation): they are escaped, one line each.
 */
import { escapeMarkdown } from './markdown';
import type { CompensationState, SagaState, StepState } from './state';
import { CompensationStatus, StepStatus } from './state';
import { textTable } from './text-table';

/** The saga's heading (status, start, duration), its failure, escalation and cancellation, then its step table. */
export function renderSagaTable(state: SagaState): string {
  const lines = [heading(state)];
  if (state.failure) lines.push('', `Failure: \`${state.failure.type}\` ${escapeMarkdown(state.failure.message)}`);
  for (const escalation of state.escalations) {
    const [what, choices] =
      escalation.kind === 'action'
        ? [`step \`${escalation.step}\` keeps failing after the pivot`, 'retry or abort']
        : [`the compensation of \`${escalation.step}\` failed`, 'retry, skip or abort'];
    lines.push(
      '',
      `⚠ Needs attention: ${what} (\`${escalation.error.type}\` ${escapeMarkdown(escalation.error.message)}). ` +
        `Resolve it with the \`resolveCompensation\` Update: ${choices}.`,
    );
  }
  if (state.cancellation) {
    const { outcome, reason, rejection } = state.cancellation;
    lines.push(
      '',
      `Cancellation ${outcome}: ${escapeMarkdown(reason)}${rejection ? ` (${escapeMarkdown(rejection)})` : ''}`,
    );
  }
  lines.push('', ...stepTable(state.steps));
  const legend = [
    ...(state.steps.some((step) => step.pivot) ? [`${pivotMark} pivot: once it succeeds, nothing is undone`] : []),
    ...(state.steps.some((step) => step.group) ? [`${groupMark} ran in parallel`] : []),
  ];
  if (legend.length > 0) lines.push(legend.join(' · '));
  return lines.join('\n');
}

const pivotMark = '◆';
const groupMark = '‖';

/** How the table words a compensation's status: what happened to the step. */
const undoWords: Record<CompensationStatus, string> = {
  [CompensationStatus.Running]: 'undoing',
  [CompensationStatus.Retrying]: 'retrying',
  [CompensationStatus.NeedsAttention]: 'needs attention',
  [CompensationStatus.Succeeded]: 'undone',
  [CompensationStatus.Failed]: 'failed',
  [CompensationStatus.Skipped]: 'skipped',
};

function heading(state: SagaState): string {
  const parts = [`Saga **${state.status}**`];
  // Once the saga ended, its last step says little: the table tells what happened to each.
  if (state.currentStep && !state.finishedAt) parts.push(`step \`${state.currentStep}\``);
  parts.push(`started ${dateTime(state.startedAt)}`);
  if (state.finishedAt) parts.push(`took ${duration(state.startedAt, state.finishedAt)}`);
  return parts.join(' · ');
}

/** The steps' columns, aligned with spaces; a mark before the name of the pivot and of steps run in parallel. */
function stepTable(steps: StepState[]): string[] {
  const marked = steps.some((step) => step.pivot || step.group);
  const mark = (step: StepState) => (marked ? `${step.pivot ? pivotMark : step.group ? groupMark : ' '} ` : '');
  const rows = [
    [`${marked ? '  ' : ''}step`, 'status', 'tries', 'took', 'undo'],
    ...steps.map((step) => [
      `${mark(step)}${step.name}`,
      step.error && step.status !== StepStatus.Succeeded ? `${step.status}: ${step.error.type}` : step.status,
      step.attempts ? String(step.attempts) : '',
      duration(step.startedAt, step.finishedAt),
      step.compensation ? undo(step.compensation) : '',
    ]),
  ];
  return textTable(rows, [2, 3]);
}

function undo({ status, attempts }: CompensationState): string {
  return `${undoWords[status]}${attempts > 1 ? ` ×${attempts}` : ''}`;
}

/** `2026-11-26 05:34:06 UTC`, from workflow time in ISO-8601. */
function dateTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** `115 ms`, `2.4 s`, `3 min 05 s`, `2 h 07 min`; empty until both ends are known. */
function duration(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '';
  const ms = Date.parse(to) - Date.parse(from);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${pad(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${pad(Math.floor(seconds / 60) % 60)} min`;
}
