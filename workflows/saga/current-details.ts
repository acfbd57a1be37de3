/**
 * The saga's state as markdown, for the Web UI's "current details" (refreshed on every transition; read through
 * the built-in metadata query, so it needs a polling worker) and for the memo a finished saga leaves behind.
 */
import type { SagaState, StepState } from './state';

export function renderSagaTable(state: SagaState): string {
  const lines = [
    `**Saga** \`${state.sagaId}\` · **${state.status}**${state.currentStep ? ` · step \`${state.currentStep}\`` : ''}`,
  ];
  if (state.failure) lines.push('', `Failure: \`${state.failure.type}\` ${escape(state.failure.message)}`);
  for (const escalation of state.escalations) {
    lines.push(
      '',
      `⚠ Needs attention: the compensation of \`${escalation.step}\` failed (\`${escalation.error.type}\` ` +
        `${escape(escalation.error.message)}). Resolve it with the \`resolveCompensation\` Update: retry, skip or abort.`,
    );
  }
  if (state.cancellation) {
    const { outcome, reason, rejection } = state.cancellation;
    lines.push('', `Cancellation ${outcome}: ${escape(reason)}${rejection ? ` (${escape(rejection)})` : ''}`);
  }
  lines.push(
    '',
    '| # | Step | Status | Attempts | Started | Took | Compensation |',
    '|--:|------|--------|---------:|---------|-----:|--------------|',
    ...state.steps.map((step, index) => renderRow(step, index + 1)),
  );
  return lines.join('\n');
}

function renderRow(step: StepState, position: number): string {
  const name = [`\`${step.name}\``, step.pivot ? '(pivot)' : '', step.group ? `‖ ${step.group}` : '']
    .filter(Boolean)
    .join(' ');
  const status = step.error && step.status !== 'succeeded' ? `${step.status}: ${escape(step.error.type)}` : step.status;
  const compensation = step.compensation
    ? `${step.compensation.status}${step.compensation.attempts > 1 ? ` (${step.compensation.attempts} attempts)` : ''}`
    : '—';
  const cells = [
    String(position),
    name,
    status,
    step.attempts ? String(step.attempts) : '',
    step.startedAt ? step.startedAt.slice(11, 23) : '',
    duration(step.startedAt, step.finishedAt),
    compensation,
  ];
  return `| ${cells.join(' | ')} |`;
}

function duration(from: string | undefined, to: string | undefined): string {
  if (!from || !to) return '';
  const ms = Date.parse(to) - Date.parse(from);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Keeps a message on one table line, without breaking the table. */
function escape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}
