/**
 * Where a saga waits for an operator. A compensation that fails under `escalate` (or keeps failing under `retry`),
 * or a step after the pivot that keeps failing, is escalated: the saga lists it (status `needs_attention`) and
 * waits, adding nothing to the history, until the `resolveCompensation` Update decides: retry, skip (a
 * compensation only) or abort. An abort answers every wait at once: the saga stops compensating (or stops retrying
 * forward) and ends `failed`, with what was not done in its state.
 */
import { condition } from '@temporalio/workflow';
import type { CompensationResolution } from './definitions';
import { ResolutionAction } from './definitions';
import type { SagaJournal } from './journal';
import type { Escalation, StepState } from './state';
import { SagaStatus } from './state';

export class OperatorDesk {
  readonly #journal: SagaJournal;
  readonly #resolutions = new Map<string, CompensationResolution>();
  #abort: CompensationResolution | undefined;

  constructor(journal: SagaJournal) {
    this.#journal = journal;
  }

  /** The operator's abort, once one was accepted. */
  get abort(): CompensationResolution | undefined {
    return this.#abort;
  }

  /** Why `resolution` is refused, given what waits in the saga; `undefined` when it is accepted. */
  refusal({ step, action }: CompensationResolution): string | undefined {
    const { state } = this.#journal;
    const actions: string[] = Object.values(ResolutionAction);
    if (!actions.includes(action)) return `The action must be one of ${actions.join(', ')}; got '${String(action)}'.`;
    if (state.status !== SagaStatus.NeedsAttention) {
      return `The saga is ${state.status}: there is no compensation to resolve.`;
    }
    const waiting = state.escalations.map((escalation) => escalation.step);
    const escalation = state.escalations.find((candidate) => candidate.step === step);
    if (!escalation) {
      return `No compensation of step '${String(step)}' waits for an operator; waiting: ${waiting.join(', ')}.`;
    }
    if (escalation.kind === 'action' && action === ResolutionAction.Skip) {
      return `Step '${step}' runs after the pivot and the saga needs its result: retry it, or abort the saga.`;
    }
    // Two resolutions delivered together both pass the checks above: the first one decides, the second is refused.
    const accepted = this.#abort ?? this.#resolutions.get(step);
    if (accepted) return `The compensation of step '${String(step)}' is already being resolved: ${accepted.action}.`;
    return undefined;
  }

  /** Takes a resolution that {@link refusal} let through. */
  accept(resolution: CompensationResolution): CompensationResolution {
    if (resolution.action === ResolutionAction.Abort) this.#abort = resolution;
    else this.#resolutions.set(resolution.step, resolution);
    return resolution;
  }

  /**
   * Waits until an operator decides what happens to `step`, escalated (its `kind`) in the journal: a resolution for
   * it, or an abort. The journal records that the step no longer waits.
   */
  async decisionOn(step: StepState, kind: Escalation['kind']): Promise<CompensationResolution> {
    await condition(() => this.#resolutions.has(step.name) || this.#abort !== undefined);
    const resolution = this.#resolutions.get(step.name) ?? this.#abort!;
    this.#resolutions.delete(step.name);
    this.#journal.escalationResolved(step, kind);
    return resolution;
  }
}
