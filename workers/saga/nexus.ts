/**
 * For the Nexus handlers of saga steps: what the calling step sent along with its operation
 * (workflows/saga/nexus.ts). A handler makes its effect idempotent on the step's key, as an activity does; a
 * workflow-run operation, for one, can name its workflow after it:
 *
 * ```ts
 * hold: new WorkflowRunOperationHandler<HoldInput, string>((context, input) =>
 *   startWorkflow(context, holdFunds, { workflowId: sagaStepOf(context)?.idempotencyKey ?? randomUUID(), args: [input] }),
 * ),
 * ```
 */
import type { SagaStepCall } from '../../workflows/saga';
import { parseStepHeader, SagaNexusHeader } from '../../workflows/saga';

/** The saga step an operation serves, from its context's headers; `undefined` when no saga step called it. */
export function sagaStepOf(context: {
  readonly headers: Readonly<Record<string, string>>;
}): (SagaStepCall & { idempotencyKey: string }) | undefined {
  const header = (name: string) => Object.entries(context.headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const idempotencyKey = header(SagaNexusHeader.IdempotencyKey);
  const call = parseStepHeader(header(SagaNexusHeader.Step) ?? '');
  return idempotencyKey && call ? { idempotencyKey, ...call } : undefined;
}
