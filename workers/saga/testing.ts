/**
 * temporal-saga's testing kit (`temporal-saga/testing`): runs a saga's real workflow code on a real server (the
 * time-skipping test server, a local dev server, any existing one: whatever `TestWorkflowEnvironment` gives) with
 * real or stub activities, injects a failure into any step, and reads the path the saga took from its event
 * history: which steps ran, which compensations ran in which order, and how it ended.
 *
 * ```ts
 * const env = await TestWorkflowEnvironment.createTimeSkipping();
 * const bench = await SagaTestBench.start({ env, workflowsPath: require.resolve('./workflows'), activities });
 * const run = await bench.run(bookTrip, { args: [trip], inject: { bookCar: inject.businessFailure('NoCars') } });
 * expect(await run.ended()).toMatchObject({ status: 'compensated', compensations: ['bookHotel', 'bookFlight'] });
 * ```
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client, Workflow } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import type { SagaHandle, TimelineEntry } from '../../api/saga';
import { getSagaState, sagaHandle, sagaHistory, startSaga } from '../../api/saga';
import type { SagaStatus, StepError } from '../../workflows/saga';
import { parseStepActivityId } from '../../workflows/saga';
import { sagaInterceptorModules } from './interceptors';

/** A failure the bench puts into a step's action in place of its activity. */
export type Injection =
  | { kind: 'business-failure'; type: string; message: string }
  | { kind: 'timeout' }
  | { kind: 'cancellation'; reason: string };

/** The failures a step's action can be given. */
export const inject = {
  /** The action fails with a business failure of `type` (non-retryable): the saga compensates. */
  businessFailure: (type: string, message = `Injected ${type}`): Injection => ({
    kind: 'business-failure',
    type,
    message,
  }),
  /**
   * The action never answers, on every attempt: what a dead service looks like. The saga sees the step time out as
   * often as its retry policy allows; give the step a short timeout and bounded retries, or use the time-skipping
   * server.
   */
  timeout: (): Injection => ({ kind: 'timeout' }),
  /**
   * The saga is cancelled (its cancel Update, as a client sends it) while this step's action runs; the action waits
   * for its cancellation and ends cancelled, so the path shows what the saga undid and whether it waited.
   */
  cancellation: (reason = 'Injected cancellation'): Injection => ({ kind: 'cancellation', reason }),
};

/** The path a saga took, read from its event history and final state. */
export interface SagaPath<Step extends string = string> {
  /** Steps whose action completed, in the order they completed. */
  steps: Step[];
  /** Steps whose action ended otherwise (failed, timed out, cancelled), in that order. */
  failedSteps: Step[];
  /** Steps whose compensation completed, in the order they completed. */
  compensations: Step[];
  status: SagaStatus;
  failure: StepError | undefined;
  /** The whole timeline, for assertions the summary above does not cover. */
  timeline: TimelineEntry[];
}

export interface SagaTestRun<W extends Workflow, Step extends string> {
  handle: SagaHandle<W, Step>;
  /** The path so far: the saga may still run (or wait in `needs_attention`). */
  path(): Promise<SagaPath<Step>>;
  /** Waits for the workflow to close (completed, compensated, failed), then reads its path. */
  ended(): Promise<SagaPath<Step>>;
}

/** The parts of a `TestWorkflowEnvironment` the bench uses: any environment the SDK's testing package creates. */
export interface SagaTestEnvironment {
  client: Client;
  nativeConnection: NativeConnection;
  namespace?: string | undefined;
}

export type SagaTestBenchOptions = {
  env: SagaTestEnvironment;
  /** The activities the saga calls, real or stubs, by name. */
  activities: object;
  /** The worker's task queue. @default a new one per bench */
  taskQueue?: string;
  /** Anything else for the worker (a data converter, tuning); the bench sets the rest. */
  worker?: Partial<WorkerOptions>;
} & (Pick<WorkerOptions, 'workflowsPath'> | Required<Pick<WorkerOptions, 'workflowBundle'>>);

/** One worker running a saga's workflows and activities on a task queue of its own, and the sagas it starts. */
export class SagaTestBench {
  readonly taskQueue: string;
  readonly client: Client;
  readonly #createWorker: () => Promise<Worker>;
  readonly #injections: Map<string, Partial<Record<string, Injection>>>;
  #worker: Worker;
  #running: Promise<void>;

  private constructor(
    client: Client,
    taskQueue: string,
    createWorker: () => Promise<Worker>,
    worker: Worker,
    injections: Map<string, Partial<Record<string, Injection>>>,
  ) {
    this.client = client;
    this.taskQueue = taskQueue;
    this.#createWorker = createWorker;
    this.#injections = injections;
    this.#worker = worker;
    this.#running = worker.run();
  }

  static async start(options: SagaTestBenchOptions): Promise<SagaTestBench> {
    const { env, activities, taskQueue = `saga-test-${randomUUID()}`, worker: workerOptions = {} } = options;
    const injections = new Map<string, Partial<Record<string, Injection>>>();
    const createWorker = () =>
      Worker.create({
        // An activity the bench leaves blocked must not hold up the worker's shutdown.
        shutdownGraceTime: '100 milliseconds',
        // A blocked action's heartbeats reach the server at once, and with them its cancellation.
        defaultHeartbeatThrottleInterval: '100 milliseconds',
        maxHeartbeatThrottleInterval: '100 milliseconds',
        ...workerOptions,
        connection: env.nativeConnection,
        namespace: env.namespace ?? 'default',
        taskQueue,
        ...('workflowBundle' in options
          ? { workflowBundle: options.workflowBundle }
          : { workflowsPath: options.workflowsPath }),
        interceptors: {
          ...workerOptions.interceptors,
          workflowModules: [...sagaInterceptorModules, ...(workerOptions.interceptors?.workflowModules ?? [])],
        },
        activities: withInjections(activities, env.client, injections),
      });
    return new SagaTestBench(env.client, taskQueue, createWorker, await createWorker(), injections);
  }

  /**
   * Stops the worker (its workflow cache goes with it, so the sagas replay on the next) and starts a new one on the
   * same task queue; `whileStopped` runs in between.
   */
  async restartWorker(whileStopped: () => void | Promise<void> = () => undefined): Promise<void> {
    this.#worker.shutdown();
    await this.#running;
    await whileStopped();
    this.#worker = await this.#createWorker();
    this.#running = this.#worker.run();
  }

  /** Starts `workflow` with `args` on the bench's task queue, with `inject`'s failures in the named steps. */
  async run<W extends Workflow, Step extends string = string>(
    workflow: W | string,
    options: {
      args: Parameters<W>;
      workflowId?: string;
      inject?: Partial<Record<Step, Injection>>;
      /** `false` for a saga run with `searchAttributes: false`. @default true */
      sagaSearchAttributes?: boolean;
    },
  ): Promise<SagaTestRun<W, Step>> {
    const workflowId = options.workflowId ?? `saga-test-${randomUUID()}`;
    this.#injections.set(workflowId, options.inject ?? {});
    await startSaga(this.client, workflow, {
      workflowId,
      taskQueue: this.taskQueue,
      args: options.args,
      sagaSearchAttributes: options.sagaSearchAttributes ?? true,
    });
    const handle = sagaHandle<W, Step>(this.client, workflowId);
    const path = () => sagaPath<Step>(this.client, workflowId);
    return {
      handle,
      path,
      ended: async () => {
        await handle.result().catch(() => undefined);
        return path();
      },
    };
  }

  /** Stops the worker; activities still blocked are abandoned. */
  async stop(): Promise<void> {
    this.#worker.shutdown();
    await this.#running;
  }
}

/** The saga's path, from its history (which activities of which steps ended how) and its state. */
export async function sagaPath<Step extends string = string>(
  client: Client,
  workflowId: string,
): Promise<SagaPath<Step>> {
  const [{ timeline }, state] = await Promise.all([sagaHistory(client, workflowId), getSagaState(client, workflowId)]);
  const ended = (kind: 'action' | 'compensation', outcome: (event: string) => boolean) =>
    timeline.flatMap((entry) =>
      entry.type === 'step' && entry.kind === kind && outcome(entry.event) ? [entry.step as Step] : [],
    );
  return {
    steps: ended('action', (event) => event === 'completed'),
    failedSteps: ended('action', (event) => ['failed', 'timed-out', 'cancelled'].includes(event)),
    compensations: ended('compensation', (event) => event === 'completed'),
    status: state.status,
    failure: state.failure,
    timeline,
  };
}

/** Each activity, wrapped so that an action of a step with an injection suffers it instead of running. */
function withInjections(
  activities: object,
  client: Client,
  injections: Map<string, Partial<Record<string, Injection>>>,
): Record<string, (...args: unknown[]) => Promise<unknown>> {
  return Object.fromEntries(
    Object.entries(activities as Record<string, (...args: unknown[]) => Promise<unknown>>).map(([name, activity]) => [
      name,
      async (...args: unknown[]) => {
        const { activityId, workflowExecution } = Context.current().info;
        const step = parseStepActivityId(activityId);
        const workflowId = workflowExecution?.workflowId ?? '';
        const injection = step?.kind === 'action' ? injections.get(workflowId)?.[step.step] : undefined;
        if (!injection) return activity(...args);
        await suffer(injection, client, workflowId);
        return activity(...args);
      },
    ]),
  );
}

/** Makes the running action suffer `injection`; returns only when the action should run after all. */
async function suffer(injection: Injection, client: Client, workflowId: string): Promise<void> {
  const context = Context.current();
  switch (injection.kind) {
    case 'business-failure':
      throw ApplicationFailure.create({ type: injection.type, message: injection.message, nonRetryable: true });
    case 'timeout':
      // Never answers: the attempt times out on the server, however long its worker waits.
      await context.cancelled;
      return;
    case 'cancellation': {
      // Not awaited before heartbeating: the saga may wait for this very action to stop before it answers.
      let refused = false;
      void sagaHandle(client, workflowId)
        .cancel(injection.reason)
        .then(
          (outcome) => (refused = !outcome.accepted),
          () => (refused = true),
        );
      // Until the cancellation reaches this action (`cancelled` rejects, and the action ends cancelled), or the saga
      // refuses it (past its pivot): the action then runs as it would have.
      while (!refused) {
        context.heartbeat();
        await Promise.race([context.cancelled, new Promise((resolve) => setTimeout(resolve, 50))]);
      }
      return;
    }
  }
}
