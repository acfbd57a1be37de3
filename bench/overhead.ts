/**
 * overhead: what the saga engine costs over the same saga written by hand (a list of compensations, as
 * Temporal's samples do). Both run the same four test activities, interleaved, on one server in one run, three
 * times (rounds), and the verdict takes the median round: wall time from start to result, workflow tasks and
 * history events per saga. The engine's sagas start as applications start them, through `startSaga`. Then, in a
 * phase of its own, the same engine saga against the same saga with every step a Nexus operation: what a step
 * costs in the Nexus wiring.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as nexus from 'nexus-rpc';
import { startSaga } from '../api/saga';
import { createSagaTestActivities, TestService } from '../test/sagas/activities';
import { testSteps } from '../test/sagas/nexus-contract';
import type { ScriptedSagaInput } from '../test/sagas/workflows';
import { startDevServer } from '../workers/dev-server';
import { sagaInterceptorModules } from '../workers/saga';
import type { BenchmarkResult } from './report';
import { benchDataConverter, installQuietRuntime, percentile, progress } from './report';

const plan: ScriptedSagaInput = {
  plan: [{ name: 'reserve' }, { name: 'charge' }, { name: 'ship' }, { name: 'notify' }],
};
/**
 * The engine as sagas use it, the engine with its search attributes off (so that their share of the cost is
 * measured, not guessed), the same saga by hand, and the engine with every step a Nexus operation on a handler in a
 * namespace of its own (the Nexus wiring's cost per step, against the same steps as activities).
 */
const variants = ['engine', 'engine, no search attributes', 'hand-written', 'engine, steps over Nexus'] as const;
type Variant = (typeof variants)[number];
const runs: Record<Variant, { workflowType: string; input: ScriptedSagaInput; startedBy: 'startSaga' | 'client' }> = {
  engine: { workflowType: 'scriptedSaga', input: plan, startedBy: 'startSaga' },
  'engine, no search attributes': {
    workflowType: 'scriptedSaga',
    input: { ...plan, options: { searchAttributes: false } },
    startedBy: 'startSaga',
  },
  'hand-written': { workflowType: 'handWrittenSaga', input: plan, startedBy: 'client' },
  'engine, steps over Nexus': { workflowType: 'scriptedSaga', input: plan, startedBy: 'startSaga' },
};

/**
 * Each phase interleaves its variants, round after round: the engine against the saga by hand (the verdicts), then
 * the engine's steps as activities against the same steps over Nexus, so that the second comparison's load does
 * not weigh on the first.
 */
type Phase = 'engine' | 'wirings';
const phases: { phase: Phase; variants: readonly Variant[] }[] = [
  { phase: 'engine', variants: ['engine', 'engine, no search attributes', 'hand-written'] },
  { phase: 'wirings', variants: ['engine', 'engine, steps over Nexus'] },
];

/** The namespace of the Nexus variant's handler: another team's, as in the Nexus wiring. */
const handlerNamespace = 'bench-steps';

/** The test steps' handler: each operation does what a succeeding test activity does, synchronously. */
const testStepsHandler = nexus.serviceHandler(testSteps, {
  perform: async (_context, { step }) => `perform:${step}`,
  undo: async (_context, { step }) => `undo:${step}`,
});

export async function overhead({ quick }: { quick: boolean }): Promise<BenchmarkResult> {
  const sagasPerVariant = quick ? 20 : 500;
  const rounds = quick ? 1 : 3;
  const concurrency = 10;
  installQuietRuntime();
  const server = await startDevServer({ namespaces: [handlerNamespace] });
  const dataConverter = await benchDataConverter();
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter });
  const taskQueue = `bench-overhead-${randomUUID()}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    dataConverter,
    taskQueue,
    workflowsPath: require.resolve('../test/sagas/workflows'),
    interceptors: { workflowModules: sagaInterceptorModules },
    activities: createSagaTestActivities(new TestService()),
  });
  const endpoint = `bench-steps-${randomUUID()}`;
  await connection.operatorService.createNexusEndpoint({
    spec: { name: endpoint, target: { worker: { namespace: handlerNamespace, taskQueue } } },
  });
  runs['engine, steps over Nexus'].input = { ...plan, nexusEndpoint: endpoint };
  const handlerWorker = await Worker.create({
    connection: nativeConnection,
    namespace: handlerNamespace,
    dataConverter,
    taskQueue,
    nexusServices: [testStepsHandler],
  });
  const running = Promise.all([worker.run(), handlerWorker.run()]);
  const eventTypes = Object.fromEntries(variants.map((variant) => [variant, new Map<string, number>()])) as Record<
    Variant,
    Map<string, number>
  >;
  const samples: {
    phase: Phase;
    variant: Variant;
    round: number;
    ms: number;
    events: number;
    workflowTasks: number;
  }[] = [];
  try {
    const start = (variant: Variant) => {
      const { workflowType, input, startedBy } = runs[variant];
      const workflowId = `bench-${randomUUID()}`;
      return startedBy === 'startSaga'
        ? startSaga(client, workflowType, {
            workflowId,
            taskQueue,
            args: [input],
            sagaSearchAttributes: input.options?.searchAttributes !== false,
          })
        : client.workflow.start(workflowType, { taskQueue, workflowId, args: [input] });
    };
    const runOne = async (phase: Phase, variant: Variant, round: number) => {
      const began = performance.now();
      const handle = await start(variant);
      await handle.result();
      const ms = performance.now() - began;
      const events = (await handle.fetchHistory()).events ?? [];
      for (const event of phase === 'engine' ? events : []) {
        const type = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? 'unknown';
        eventTypes[variant].set(type, (eventTypes[variant].get(type) ?? 0) + 1);
      }
      samples.push({
        phase,
        variant,
        round,
        ms,
        events: events.length,
        workflowTasks: events.filter((event) => event.workflowTaskCompletedEventAttributes).length,
      });
    };
    // Interleaved, one of each in turn, so that every variant sees the same server load over time.
    for (const { phase, variants: inPhase } of phases) {
      for (let round = 1; round <= rounds; round++) {
        const queue = Array.from(
          { length: sagasPerVariant * inPhase.length },
          (_, index) => inPhase[index % inPhase.length]!,
        );
        const report = progress(`overhead, ${phase}, round ${round} of ${rounds}`, queue.length);
        const lanes = Array.from({ length: concurrency }, async (_, lane) => {
          for (let index = lane; index < queue.length; index += concurrency) {
            await runOne(phase, queue[index]!, round);
            report.tick();
          }
        });
        await Promise.all(lanes);
        report.done();
      }
    }
  } finally {
    worker.shutdown();
    handlerWorker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
    await server.stop();
  }

  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const of = (phase: Phase, variant: Variant, round?: number) =>
    samples.filter(
      (sample) =>
        sample.phase === phase && sample.variant === variant && (round === undefined || sample.round === round),
    );
  const meanMs = (phase: Phase, variant: Variant, round?: number) =>
    mean(of(phase, variant, round).map((sample) => sample.ms));
  /** In each round, how much longer `variant` took than `baseline`, and the median of the rounds. */
  const overheads = (phase: Phase, variant: Variant, baseline: Variant) => {
    const perRound = Array.from(
      { length: rounds },
      (_, index) => (meanMs(phase, variant, index + 1) / meanMs(phase, baseline, index + 1) - 1) * 100,
    );
    return { perRound, median: percentile(perRound, 50) };
  };
  const summary = (phase: Phase, variant: Variant) => {
    const ms = of(phase, variant).map((sample) => sample.ms);
    return {
      sagas: ms.length,
      meanMs: mean(ms),
      p50Ms: percentile(ms, 50),
      p95Ms: percentile(ms, 95),
      historyEvents: mean(of(phase, variant).map((sample) => sample.events)),
      workflowTasks: mean(of(phase, variant).map((sample) => sample.workflowTasks)),
    };
  };
  // Where the engine's extra events go: per saga, by event type.
  const extraEventsPerSaga: Record<string, number> = Object.fromEntries(
    [...eventTypes.engine.keys()]
      .map((type): [string, number] => [
        type.replace('EVENT_TYPE_', '').toLowerCase(),
        ((eventTypes.engine.get(type) ?? 0) - (eventTypes['hand-written'].get(type) ?? 0)) / (sagasPerVariant * rounds),
      ])
      .filter(([, extra]) => extra !== 0),
  );
  const engine = summary('engine', 'engine');
  const withoutAttributes = summary('engine', 'engine, no search attributes');
  const handWritten = summary('engine', 'hand-written');
  const asActivities = summary('wirings', 'engine');
  const overNexus = summary('wirings', 'engine, steps over Nexus');
  const steps = plan.plan.length;
  const rounded = (value: number) => `${value.toFixed(1)} %`;
  const over = (phase: Phase, variant: Variant, baseline: Variant) => {
    const { perRound, median } = overheads(phase, variant, baseline);
    return rounds === 1 ? rounded(median) : `${rounded(median)} (rounds: ${perRound.map(rounded).join(', ')})`;
  };
  const overOf = (variant: Variant) => over('engine', variant, 'hand-written');
  return {
    name: 'overhead',
    parameters: {
      sagasPerVariant,
      rounds,
      concurrency,
      steps,
      quick,
      extraEventsPerSaga,
      // The Nexus wiring's cost: a step (action and its compensation registered) over Nexus, against an activity.
      nexusOverActivityPerStep: {
        ms: Number(((overNexus.meanMs - asActivities.meanMs) / steps).toFixed(1)),
        historyEvents: Number(((overNexus.historyEvents - asActivities.historyEvents) / steps).toFixed(2)),
      },
    },
    rows: [
      { variant: 'engine', ...engine, over: `${overOf('engine')} over hand-written` },
      {
        variant: 'engine, no search attributes',
        ...withoutAttributes,
        over: `${overOf('engine, no search attributes')} over hand-written`,
      },
      { variant: 'hand-written', ...handWritten, over: '—' },
      { variant: 'engine, steps as activities (second phase)', ...asActivities, over: '—' },
      {
        variant: 'engine, steps over Nexus (second phase)',
        ...overNexus,
        over: `${over('wirings', 'engine, steps over Nexus', 'engine')} over activities`,
      },
    ],
    plot: {
      title: {
        text: `Wall time per saga, ${sagasPerVariant} of each in each of ${rounds} round(s), ${steps} steps, interleaved`,
        subtitle: `history events per saga: engine ${engine.historyEvents}, without search attributes ${withoutAttributes.historyEvents}, hand-written ${handWritten.historyEvents}, steps over Nexus ${overNexus.historyEvents}`,
      },
      data: {
        values: samples.map(({ phase, variant, ms }) => ({
          variant:
            phase === 'engine'
              ? variant
              : `${variant === 'engine' ? 'engine, steps as activities' : variant} (second phase)`,
          ms,
        })),
      },
      transform: [{ window: [{ op: 'cume_dist', as: 'share' }], sort: [{ field: 'ms' }], groupby: ['variant'] }],
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'ms', type: 'quantitative', title: 'start to result (ms)', scale: { zero: false } },
        y: { field: 'share', type: 'quantitative', title: 'share of sagas done', axis: { format: '%' } },
        color: { field: 'variant', type: 'nominal', title: null, legend: { orient: 'top' } },
      },
      width: 420,
      height: 260,
    },
    verdicts: [
      {
        claim: `wall time over hand-written ≤ 3 %${rounds > 1 ? `, median of ${rounds} rounds` : ''}`,
        measured: `${overOf('engine')}; without its search attributes ${overOf('engine, no search attributes')}`,
        holds: overheads('engine', 'engine', 'hand-written').median <= 3,
      },
      {
        claim: '≤ 2 extra history events per step',
        measured: `${((engine.historyEvents - handWritten.historyEvents) / steps).toFixed(2)} per step`,
        holds: engine.historyEvents - handWritten.historyEvents <= 2 * steps,
      },
    ],
  };
}
