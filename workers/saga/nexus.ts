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
import { SagaNexusHeader } from '../../workflows/saga';

/** The saga step that called an operation. */
export interface SagaStepCall {
  /** The step's idempotency key: `<workflowId>/<step>`, or `<workflowId>/<step>/compensate` for its compensation. */
  idempotencyKey: string;
  step: string;
  kind: 'action' | 'compensation';
  /** The engine's attempt at the action or compensation. */
  attempt: number;
}

/** The saga step an operation serves, from its context's headers; `undefined` when no saga step called it. */
export function sagaStepOf(context: { readonly headers: Readonly<Record<string, string>> }): SagaStepCall | undefined {
  const header = (name: string) => Object.entries(context.headers).find(([key]) => key.toLowerCase() === name)?.[1];
  const idempotencyKey = header(SagaNexusHeader.IdempotencyKey);
  const match = /^(action|compensation):(.+):(\d+)$/.exec(header(SagaNexusHeader.Step) ?? '');
  if (!idempotencyKey || !match) return undefined;
  return {
    idempotencyKey,
    step: match[2]!,
    kind: match[1] as SagaStepCall['kind'],
    attempt: Number(match[3]),
  };
}
