/**
 * Test sagas for the engine's own tests, apart from the order domain. `scriptedSaga` runs whatever plan the test
 * gives it; `handWrittenSaga` runs the same steps written by hand, as Temporal's samples do, to measure what the
 * engine costs.
 */
import type { ActivityOptions, Duration } from '@temporalio/common';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import {
  ApplicationFailure,
  condition,
  createNexusServiceClient,
  NexusOperationCancellationType,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ParallelStep, SagaOptions, StepDefinition } from '../../workflows/saga';
import { runSaga, sagaActivities, sagaNexusOperations } from '../../workflows/saga';
import type { Behaviour, SagaTestActivities } from './activities';
import type { ChargeBehaviour, HoldBehaviour, ReleaseBehaviour } from './nexus-contract';
import { testPayments, testSteps } from './nexus-contract';

/**
 * What a step calls its activities through: the engine's `sagaActivities`, or the SDK's own proxies, which the saga
 * interceptor scopes to the step.
 */
export type ActivityProxy = 'sagaActivities' | 'proxyActivities' | 'proxyLocalActivities';

export interface PlannedStep {
  name: string;
  /** @default succeed */
  behaviour?: Behaviour;
  /** `null`: the step has no compensation. @default succeed */
  compensation?: Behaviour | null;
  pivot?: boolean;
  /** The step's one-line summary for the Web UI. */
  summary?: string;
  /** A workflow timer before the activity, for deadline tests. */
  waitFirst?: Duration;
  activityOptions?: Partial<ActivityOptions>;
  /** What the action and the compensation call their activity through. @default 'sagaActivities' */
  proxy?: ActivityProxy;
  /** How many times the action calls its activity, one call after the other. @default 1 */
  calls?: number;
}

export type PlanItem = PlannedStep | { parallel: PlannedStep[] };

export interface ScriptedSagaInput {
  plan: PlanItem[];
  options?: SagaOptions;
  /** Every step's action and compensation as Nexus operations of {@link testSteps} on this endpoint. */
  nexusEndpoint?: string;
}

const testActivity = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '50 milliseconds', maximumInterval: '200 milliseconds' },
} as const;

const plain = proxyActivities<SagaTestActivities>(testActivity);
const proxies: Record<ActivityProxy, ActivityInterfaceFor<SagaTestActivities>> = {
  sagaActivities: sagaActivities<SagaTestActivities>(testActivity),
  proxyActivities: plain,
  proxyLocalActivities: proxyLocalActivities<SagaTestActivities>(testActivity),
};
const succeed: Behaviour = { kind: 'succeed' };

type TestSteps = Pick<SagaTestActivities, 'perform' | 'undo'>;

function toStep(planned: PlannedStep, overNexus: TestSteps | undefined): StepDefinition<string> {
  const service: TestSteps = overNexus ?? proxies[planned.proxy ?? 'sagaActivities'];
  const perform = (key: string) =>
    service.perform({ step: planned.name, key, behaviour: planned.behaviour ?? succeed });
  return {
    ...(planned.pivot ? { pivot: true } : {}),
    ...(planned.summary ? { summary: planned.summary } : {}),
    ...(planned.activityOptions ? { activityOptions: planned.activityOptions } : {}),
    action: async ({ idempotencyKey }) => {
      if (planned.waitFirst) await sleep(planned.waitFirst);
      for (let call = 1; call < (planned.calls ?? 1); call += 1) await perform(idempotencyKey);
      return perform(idempotencyKey);
    },
    ...(planned.compensation === null
      ? {}
      : {
          compensate: ({ idempotencyKey }) =>
            service.undo({ step: planned.name, key: idempotencyKey, behaviour: planned.compensation ?? succeed }),
        }),
  };
}

function stepNames(plan: PlanItem[]): string[] {
  return plan.flatMap((item) => ('parallel' in item ? item.parallel.map((step) => step.name) : [item.name]));
}

export function scriptedSaga({ plan, options, nexusEndpoint }: ScriptedSagaInput): Promise<string[]> {
  const overNexus = nexusEndpoint ? sagaNexusOperations(nexusEndpoint, testSteps) : undefined;
  return runSaga(
    async (saga) => {
      const results: string[] = [];
      for (const item of plan) {
        if ('parallel' in item) {
          const group: ParallelStep<string>[] = item.parallel.map((step) => ({
            name: step.name,
            ...toStep(step, overNexus),
          }));
          results.push(...(await saga.parallel(group)));
        } else {
          results.push(await saga.step(item.name, toStep(item, overNexus)));
        }
      }
      return results;
    },
    {
      steps: stepNames(plan),
      retryBackoff: { initialInterval: '100 milliseconds', maximumInterval: '1 second' },
      ...options,
    },
  );
}

/** The same sequential steps with a hand-kept list of compensations, as in Temporal's saga samples. */
export async function handWrittenSaga({ plan }: ScriptedSagaInput): Promise<string[]> {
  const { workflowId } = workflowInfo();
  const compensations: (() => Promise<string>)[] = [];
  const results: string[] = [];
  try {
    for (const item of plan) {
      if ('parallel' in item) throw new Error('handWrittenSaga runs sequential plans only');
      const key = `${workflowId}/${item.name}`;
      compensations.unshift(() => plain.undo({ step: item.name, key: `${key}/compensate`, behaviour: succeed }));
      results.push(await plain.perform({ step: item.name, key, behaviour: item.behaviour ?? succeed }));
    }
    return results;
  } catch (error) {
    for (const compensate of compensations) await compensate();
    throw error;
  }
}

export interface NexusSagaInput {
  /** The Nexus endpoint of the test payments service (nexus-contract.ts). */
  endpoint: string;
  /** @default hold */
  hold?: HoldBehaviour;
  charge: ChargeBehaviour;
  /** The charge operation's timeout, in ms. @default 10 s */
  chargeTimeoutMs?: number;
  /** @default succeed */
  release?: ReleaseBehaviour;
  options?: SagaOptions;
}

/** Two steps whose actions and compensations are Nexus operations: hold funds (asynchronous), then charge them. */
export function nexusSaga({
  endpoint,
  hold = 'hold',
  charge,
  chargeTimeoutMs = 10_000,
  release,
  options,
}: NexusSagaInput) {
  const payments = createNexusServiceClient({ endpoint, service: testPayments });
  return runSaga(
    async (saga) => {
      const held = await saga.step('hold', {
        summary: 'Hold the funds',
        // Asks to abandon the hold if cancelled: a step's action is waited for all the same.
        action: () =>
          payments.executeOperation(
            'hold',
            { behaviour: hold },
            { scheduleToCloseTimeout: '1 minute', cancellationType: NexusOperationCancellationType.ABANDON },
          ),
        compensate: () => payments.executeOperation('release', release ? { behaviour: release } : {}),
      });
      const charged = await saga.step('charge', {
        action: () =>
          payments.executeOperation('charge', { behaviour: charge }, { scheduleToCloseTimeout: chargeTimeoutMs }),
        compensate: () => payments.executeOperation('refund', {}),
      });
      return [held, charged];
    },
    { steps: ['hold', 'charge'], ...options },
  );
}

/** The hold's own workflow, on the payments service's side. */
export async function heldFunds(behaviour: HoldBehaviour): Promise<string> {
  if (behaviour === 'holdUntilCancelled' || behaviour === 'slowStartUntilCancelled') await condition(() => false);
  if (behaviour === 'decline') {
    throw ApplicationFailure.create({ type: 'InsufficientFunds', message: 'Not enough funds.', nonRetryable: true });
  }
  return 'held';
}
