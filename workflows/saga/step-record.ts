/** What the saga run keeps of each step it reached, beyond the step's state in the journal. */
import type { StepDefinition } from './saga-context';
import type { StepState } from './state';

export interface StepRecord {
  name: string;
  /** The step's state, as the journal records it. */
  state: StepState;
  definition: StepDefinition<unknown>;
  /** Whether the compensation runs if the saga compensates: cleared by a business failure of the action. */
  armed: boolean;
  /** The action's result, for its compensation; `undefined` until the action succeeded. */
  result: unknown;
}
