/**
 * Replay: every recorded history (test/fixtures/histories, written by `npm run histories:record`) must replay
 * against the current workflow code, or a deploy would break the sagas already running. And the check must be
 * able to fail: an incompatible variant of the order saga fails every order history with a determinism violation.
 * The replayer runs the project's data converter with the fixtures' key: histories recorded with encryption
 * decrypt, and those recorded before it hold plain payloads, which pass through.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import type { FixtureEntry } from '../scripts/record-histories';
import { fixtureKeyFile } from '../scripts/record-histories';
import { sagaInterceptorModules } from '../workers/saga';
import { readTestEnv, testDataConverter } from './env';

const historiesDir = path.join(__dirname, 'fixtures', 'histories');
const manifest = JSON.parse(readFileSync(path.join(historiesDir, 'manifest.json'), 'utf8')) as FixtureEntry[];
/** The parts of the CLI's history JSON this suite reads; the SDK's replay reads the whole of it as it is. */
interface HistoryJson {
  events?: {
    activityTaskScheduledEventAttributes?: { activityType?: { name?: string } };
    markerRecordedEventAttributes?: { markerName?: string };
  }[];
}
const historyOf = (entry: FixtureEntry) =>
  JSON.parse(readFileSync(path.join(historiesDir, entry.file), 'utf8')) as HistoryJson;

describe('replaying the recorded histories', () => {
  const { workflowBundlePath, sagaBundlePath } = readTestEnv();
  const bundles: Record<FixtureEntry['workflowType'], string> = {
    placeOrder: workflowBundlePath,
    scriptedSaga: sagaBundlePath,
    nexusSaga: sagaBundlePath,
    shipment: workflowBundlePath,
  };

  const tags = [...new Set(manifest.map((entry) => entry.tag))];
  let dataConverter: DataConverter;
  beforeAll(async () => {
    dataConverter = await testDataConverter({ ...process.env, PAYLOAD_KEYS: '', PAYLOAD_KEY_FILE: fixtureKeyFile });
  });

  it.each(tags)('has a history for every scenario in %s', (tag) => {
    const recorded = manifest.filter((entry) => entry.tag === tag);
    // Scenarios added later, by the first tag that records them (tags are numbered in the order they were recorded).
    const addedIn: Record<string, string> = {
      'order-refund-escalated-then-retried': 'v5-escalate-compensations',
      'shipment-dispatched': 'v8-shipment-keep-alive',
      'shipment-rejected': 'v8-shipment-keep-alive',
      'saga-nexus-declined': 'v11-nexus-steps',
      'saga-nexus-cancelled': 'v11-nexus-steps',
      'order-nexus-completed': 'v12-nexus-wiring',
      'order-nexus-undeliverable': 'v12-nexus-wiring',
      'order-nexus-cancelled': 'v12-nexus-wiring',
    };
    const numberOf = (name: string) => Number(/^v(\d+)-/.exec(name)?.[1]);
    const later = Object.entries(addedIn).flatMap(([scenario, since]) =>
      numberOf(tag) >= numberOf(since) ? [scenario] : [],
    );
    expect(recorded.map((entry) => entry.scenario).sort()).toEqual(
      [
        'order-awaiting-shipment',
        'order-cancelled',
        'order-completed',
        'order-out-of-stock',
        'order-payment-declined',
        'order-transient-payment-failures',
        'order-undeliverable',
        'saga-escalated-then-resolved',
        'saga-parallel-failure',
        ...later,
      ].sort(),
    );
    expect(recorded.find((entry) => entry.scenario === 'order-awaiting-shipment')?.status).toBe('running');
  });

  it('keeps histories from before the fraud check (the patch) and after it', () => {
    const scheduled = (entry: FixtureEntry) =>
      (historyOf(entry).events ?? []).flatMap(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
      );
    const markers = (entry: FixtureEntry) =>
      (historyOf(entry).events ?? []).flatMap((event) => event.markerRecordedEventAttributes?.markerName ?? []);
    const completed = (tag: string) =>
      manifest.find((entry) => entry.tag === tag && entry.scenario === 'order-completed')!;
    expect(scheduled(completed('v1-before-fraud-check'))).not.toContain('screenPayment');
    expect(markers(completed('v1-before-fraud-check'))).toEqual([]);
    expect(scheduled(completed('v2-fraud-check'))).toContain('screenPayment');
    expect(markers(completed('v2-fraud-check'))).toEqual(['core_patch']);
  });

  it('keeps shipments from before the service kept orders waiting (a keep-alive activity each) and after it', () => {
    const dispatched = (tag: string) =>
      historyOf(manifest.find((entry) => entry.tag === tag && entry.scenario === 'shipment-dispatched')!);
    const scheduled = (history: HistoryJson) =>
      (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled(dispatched('v8-shipment-keep-alive'))).toContain('keepOrderWaiting');
    expect(scheduled(dispatched('v9-orders-kept-waiting-by-service'))).toEqual(['assessShipment', 'dispatchShipment']);
    // From version 2 in its input, a shipment runs that change without asking patched(): no marker.
    const markers = (history: HistoryJson) =>
      (history.events ?? []).flatMap((event) => event.markerRecordedEventAttributes?.markerName ?? []);
    expect(markers(dispatched('v9-orders-kept-waiting-by-service'))).toEqual(['core_patch']);
    expect(markers(dispatched('v10-shipment-version'))).toEqual([]);
    expect(scheduled(dispatched('v10-shipment-version'))).toEqual(['assessShipment', 'dispatchShipment']);
  });

  it.each(manifest.map((entry) => [`${entry.tag}/${entry.scenario}`, entry] as const))(
    'replays %s with the current code',
    async (_scenario, entry) => {
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: bundles[entry.workflowType] }, dataConverter, replayName: entry.scenario },
        historyOf(entry),
        entry.workflowId,
      );
    },
  );

  describe('against an incompatible change (steps reordered)', () => {
    let incompatibleBundle: string;
    beforeAll(async () => {
      const bundle = await bundleWorkflowCode({
        workflowsPath: require.resolve('./replay/incompatible-workflows'),
        workflowInterceptorModules: sagaInterceptorModules,
        logger: new DefaultLogger('WARN'),
      });
      incompatibleBundle = bundle.code;
    });

    const orderHistories = manifest.filter((entry) => entry.workflowType === 'placeOrder');

    it.each(orderHistories.map((entry) => [`${entry.tag}/${entry.scenario}`, entry] as const))(
      'fails %s with a DeterminismViolationError',
      async (_scenario, entry) => {
        const replay = Worker.runReplayHistory(
          { workflowBundle: { code: incompatibleBundle }, dataConverter, replayName: entry.scenario },
          historyOf(entry),
          entry.workflowId,
        );
        await expect(replay).rejects.toMatchObject({ name: 'DeterminismViolationError' });
      },
    );
  });
});
