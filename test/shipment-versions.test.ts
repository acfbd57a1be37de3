/**
 * A rolling deploy of the shipping service: a newer process starts a shipment at version 2 (its input says the
 * patch applies, unasked), and a worker of the version before, still polling, runs its first task and asks
 * `patched()` anyway, leaving a marker. The current code must replay that history: the next task may go to it.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { shipmentVersion } from '../workflows/shipment-version';
import { readTestEnv, testDataConverter } from './env';

describe('shipments across a rolling deploy of the shipping service', () => {
  const { address, namespace, workflowBundlePath } = readTestEnv();
  let dataConverter: DataConverter;
  let connection: Connection;
  let nativeConnection: NativeConnection;
  beforeAll(async () => {
    dataConverter = await testDataConverter();
    connection = await Connection.connect({ address });
    nativeConnection = await NativeConnection.connect({ address });
  });
  afterAll(async () => {
    await connection?.close();
    await nativeConnection?.close();
  });

  it('replays, on the current code, a version-2 shipment that an older worker ran and marked', async () => {
    const client = new Client({ connection, namespace, dataConverter });
    const taskQueue = `shipment-versions-${randomUUID()}`;
    const older = await Worker.create({
      connection: nativeConnection,
      namespace,
      dataConverter,
      taskQueue,
      workflowsPath: require.resolve('./replay/shipment-before-version'),
      // The shipment's own activities do not matter here, only the workflow's commands around them.
      activities: {
        assessShipment: async () => ({ deliverable: true }),
        dispatchShipment: async () => ({ trackingNumber: 'TRACK-1' }),
      },
    });
    const workflowId = `shipment-${randomUUID()}`;
    const history = await older.runUntil(async () => {
      const handle = await client.workflow.start('shipment', {
        taskQueue,
        workflowId,
        args: [{ shipmentId: randomUUID(), version: shipmentVersion }],
      });
      expect(await handle.result()).toBe('dispatched');
      return handle.fetchHistory();
    });
    const markers = (history.events ?? []).flatMap((event) => event.markerRecordedEventAttributes?.markerName ?? []);
    expect(markers).toEqual(['core_patch']);

    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: workflowBundlePath }, dataConverter, replayName: 'rolling-deploy' },
        history,
        workflowId,
      ),
    ).resolves.toBeUndefined();
  }, 60_000);
});
