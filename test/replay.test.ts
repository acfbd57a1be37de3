/**
 * Replay: every recorded history (test/fixtures/histories, written by `npm run histories:record`) must replay
 * against the current workflow code, or a deploy would break the sagas already running. And the check must be
 * able to fail: an incompatible variant of the order saga fails every order history with a determinism violation.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import type { FixtureEntry } from '../scripts/record-histories';
import { readTestEnv } from './env';

const historiesDir = path.join(__dirname, 'fixtures', 'histories');
const manifest = JSON.parse(readFileSync(path.join(historiesDir, 'manifest.json'), 'utf8')) as FixtureEntry[];
const historyOf = (entry: FixtureEntry) =>
  historyFromJSON(JSON.parse(readFileSync(path.join(historiesDir, entry.file), 'utf8')));

describe('replaying the recorded histories', () => {
  const { workflowBundlePath, sagaBundlePath } = readTestEnv();
  const bundles: Record<FixtureEntry['workflowType'], string> = {
    placeOrder: workflowBundlePath,
    scriptedSaga: sagaBundlePath,
  };

  it('has a history for every scenario', () => {
    expect(manifest.map((entry) => entry.scenario).sort()).toEqual(
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
      ].sort(),
    );
    expect(manifest.find((entry) => entry.scenario === 'order-awaiting-shipment')?.status).toBe('running');
  });

  it.each(manifest.map((entry) => [entry.scenario, entry] as const))(
    'replays %s with the current code',
    async (_scenario, entry) => {
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: bundles[entry.workflowType] }, replayName: entry.scenario },
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
        logger: new DefaultLogger('WARN'),
      });
      incompatibleBundle = bundle.code;
    });

    const orderHistories = manifest.filter((entry) => entry.workflowType === 'placeOrder');

    it.each(orderHistories.map((entry) => [entry.scenario, entry] as const))(
      'fails %s with a DeterminismViolationError',
      async (_scenario, entry) => {
        const replay = Worker.runReplayHistory(
          { workflowBundle: { code: incompatibleBundle }, replayName: entry.scenario },
          historyOf(entry),
          entry.workflowId,
        );
        await expect(replay).rejects.toMatchObject({ name: 'DeterminismViolationError' });
      },
    );
  });
});
