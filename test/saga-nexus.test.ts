/**
 * Steps whose actions and compensations are Nexus operations, against the run's dev server: an endpoint to a test
 * payments service (test/sagas/nexus-contract.ts) served by the bench's worker. Business failures arrive in either
 * wrapping the SDK gives them and are not undone; a timeout leaves the outcome unknown and is; a cancelled
 * operation is waited for until its handler's workflow has ended, and only then undone; and the pre-deploy check
 * replays the sagas.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { cancelSaga, resolveCompensation } from '../api/saga/client';
import { SagaNexusHeader, sagaStateQuery } from '../workflows/saga';
import { readTestEnv } from './env';
import { decodeJson, historyOf } from './history';
import type { SagaHarness } from './saga-harness';
import { startSagaHarness } from './saga-harness';
import { launch } from './processes';
import { failureOf } from './saga-failure-helpers';
import { createTestPaymentsHandler } from './sagas/nexus-handler';
import type { NexusSagaInput, nexusSaga } from './sagas/workflows';

describe('Nexus operations as saga steps', () => {
  const payments = createTestPaymentsHandler();
  const endpoint = `saga-tests-${randomUUID()}`;
  let bench: SagaHarness;
  let operator: Connection;

  beforeAll(async () => {
    bench = await startSagaHarness({ nexusServices: [payments.handler] });
    operator = await Connection.connect({ address: readTestEnv().address });
    await operator.operatorService.createNexusEndpoint({
      spec: { name: endpoint, target: { worker: { namespace: readTestEnv().namespace, taskQueue: bench.taskQueue } } },
    });
  });
  afterAll(async () => {
    await bench?.stop();
    await operator?.close();
  });

  const start = (input: Omit<NexusSagaInput, 'endpoint'>) =>
    bench.client.workflow.start<typeof nexusSaga>('nexusSaga', {
      taskQueue: bench.taskQueue,
      workflowId: `nexus-saga-${randomUUID()}`,
      args: [{ endpoint, ...input }],
    });

  /** The operations the handler served for `saga`, as `<operation> (<kind>)`, in order. */
  const servedFor = (saga: WorkflowHandle) =>
    payments.calls
      .filter((call) => call.step?.idempotencyKey.startsWith(`${saga.workflowId}/`))
      .map((call) => `${call.operation} (${call.step!.kind})`);

  it('runs both steps, and the handler sees each step and its idempotency key', async () => {
    const saga = await start({ charge: 'succeed' });
    expect(await saga.result()).toEqual(['held', 'charged']);
    expect(servedFor(saga)).toEqual(['hold (action)', 'charge (action)']);
    const charge = payments.calls.find((call) => call.step?.idempotencyKey === `${saga.workflowId}/charge`);
    expect(charge?.step).toEqual({
      idempotencyKey: `${saga.workflowId}/charge`,
      step: 'charge',
      kind: 'action',
      attempt: 1,
    });
    // The hold's workflow runs under the step's key: one hold per step, however often it is asked for.
    const held = await bench.client.workflow.getHandle(`${saga.workflowId}/hold`).describe();
    expect(held.status.name).toBe('COMPLETED');

    const scheduled = (await historyOf(saga)).filter((event) => event.nexusOperationScheduledEventAttributes);
    expect(scheduled.map((event) => decodeJson(event.userMetadata?.summary))).toEqual([
      'Hold the funds',
      'charge: testPayments.charge',
    ]);
    expect(scheduled[1]!.nexusOperationScheduledEventAttributes!.nexusHeader).toMatchObject({
      [SagaNexusHeader.IdempotencyKey]: `${saga.workflowId}/charge`,
      [SagaNexusHeader.Step]: 'action:charge:1',
    });
  });

  it.each(['declineByHandlerError', 'declineByOperationError'] as const)(
    'a business failure (%s) is not undone, the steps before it are',
    async (charge) => {
      const saga = await start({ charge });
      const failure = await failureOf(saga.result());
      // The handler's failure, under the wrapper it came in (a HandlerError, or the OperationError).
      expect(failure.type).toBe('SagaCompensated');
      expect(failure.message).toBe(
        'compensated after charge failed: PaymentDeclined: The card was declined. (undone: hold)',
      );
      expect(servedFor(saga)).toEqual(['hold (action)', 'charge (action)', 'release (compensation)']);
      const state = await saga.query(sagaStateQuery);
      expect(state.failure?.type).toBe('PaymentDeclined');
      expect(state.steps.map((step) => [step.name, step.status, step.compensation?.status])).toEqual([
        ['hold', 'succeeded', 'succeeded'],
        ['charge', 'failed', undefined],
      ]);
      expect(state.steps[1]!.error).toEqual({ type: 'PaymentDeclined', message: 'The card was declined.' });
      const summaries = (await historyOf(saga)).flatMap((event) =>
        event.nexusOperationScheduledEventAttributes ? [decodeJson(event.userMetadata?.summary)] : [],
      );
      expect(summaries).toEqual(['Hold the funds', 'charge: testPayments.charge', 'Undo Hold the funds']);
    },
  );

  it("a workflow-run operation's workflow failure is a business failure too: nothing to undo", async () => {
    const saga = await start({ hold: 'decline', charge: 'succeed' });
    const failure = await failureOf(saga.result());
    expect(failure).toMatchObject({ type: 'SagaCompensated', causeType: 'InsufficientFunds' });
    expect(failure.message).toBe(
      'compensated after hold failed: InsufficientFunds: Not enough funds. (nothing to undo)',
    );
    expect(servedFor(saga)).toEqual(['hold (action)']);
  });

  it('a timed-out operation may have charged: it is undone, then the steps before it', async () => {
    const saga = await start({ charge: 'hang', chargeTimeoutMs: 2000 });
    const failure = await failureOf(saga.result());
    expect(failure.type).toBe('SagaCompensated');
    expect(failure.message).toMatch(/^compensated after charge failed: .*\(undone: charge, hold\)$/);
    expect(servedFor(saga).filter((call) => !call.startsWith('charge (action)'))).toEqual([
      'hold (action)',
      'refund (compensation)',
      'release (compensation)',
    ]);
  });

  it('an undo that keeps failing reaches the escalation policy: its operation is bounded by its tries, then an operator decides', async () => {
    const saga = await start({
      charge: 'declineByHandlerError',
      release: 'unavailable',
      options: { onCompensationFailure: 'escalate', compensationRetry: { maximumAttempts: 1 } },
    });
    // One try of a synchronous handler: 10 s, after which the release has failed and the saga asks an operator.
    const state = await bench.stateWhen(saga, (current) => current.status === 'needs_attention');
    expect(state.escalations).toEqual([expect.objectContaining({ step: 'hold', kind: 'compensation' })]);
    expect(state.steps[0]!.compensation).toMatchObject({ status: 'needs_attention', attempts: 1 });
    const release = (await historyOf(saga)).find(
      (event) => event.nexusOperationScheduledEventAttributes?.operation === 'release',
    );
    expect(release?.nexusOperationScheduledEventAttributes?.scheduleToCloseTimeout?.seconds?.toString()).toBe('10');

    const resolved = await resolveCompensation(bench.client, saga.workflowId, {
      step: 'hold',
      action: 'skip',
      reason: 'released by hand',
    });
    expect(resolved).toMatchObject({ accepted: true });
    expect((await failureOf(saga.result())).type).toBe('SagaCompensated');
    expect(servedFor(saga)).toContain('release (compensation)');
  }, 60_000);

  it('a cancelled operation is waited for until its workflow has ended cancelled, then undone', async () => {
    const saga = await start({ hold: 'holdUntilCancelled', charge: 'succeed' });
    const hold = bench.client.workflow.getHandle(`${saga.workflowId}/hold`);
    await bench.stateWhen(saga, () => payments.calls.some((call) => call.step?.idempotencyKey === hold.workflowId));

    expect(await cancelSaga(bench.client, saga.workflowId, 'customer changed their mind')).toMatchObject({
      accepted: true,
    });
    const failure = await failureOf(saga.result());
    expect(failure).toMatchObject({ type: 'SagaCancelled' });
    expect(failure.message).toBe(
      'compensated after cancellation during hold: customer changed their mind (undone: hold)',
    );
    const held = await hold.describe();
    expect(held.status.name).toBe('CANCELLED');
    const release = payments.calls.find((call) => call.step?.idempotencyKey === `${saga.workflowId}/hold/compensate`);
    expect(release?.operation).toBe('release');
    // The release came only once the hold had stopped: the compensation never overtook the action.
    expect(release!.at).toBeGreaterThanOrEqual(held.closeTime!.getTime());
    expect(servedFor(saga)).toEqual(['hold (action)', 'release (compensation)']);
  });

  it('a cancellation that arrives before the operation has started waits for the start, cancels it, then undoes', async () => {
    const saga = await start({ hold: 'slowStartUntilCancelled', charge: 'succeed' });
    const hold = bench.client.workflow.getHandle(`${saga.workflowId}/hold`);
    // The handler has the request and takes a second to start the hold's workflow: cancel now.
    await bench.stateWhen(saga, () => payments.calls.some((call) => call.step?.idempotencyKey === hold.workflowId));
    await cancelSaga(bench.client, saga.workflowId, 'customer changed their mind');

    expect((await failureOf(saga.result())).type).toBe('SagaCancelled');
    const events = await historyOf(saga);
    const cancelRequested = events.findIndex((event) => event.nexusOperationCancelRequestedEventAttributes);
    const started = events.findIndex((event) => event.nexusOperationStartedEventAttributes);
    // The race was the one meant: the cancellation went out before the operation had started.
    expect(cancelRequested).toBeGreaterThan(0);
    expect(cancelRequested).toBeLessThan(started);
    const held = await hold.describe();
    expect(held.status.name).toBe('CANCELLED');
    const release = payments.calls.find((call) => call.step?.idempotencyKey === `${saga.workflowId}/hold/compensate`);
    expect(release!.at).toBeGreaterThanOrEqual(held.closeTime!.getTime());
  });

  it("the pre-deploy check replays the live Nexus sagas against the sagas' code", async () => {
    const declined = await start({ charge: 'declineByOperationError' });
    await declined.result().catch(() => undefined);
    const { address, namespace } = readTestEnv();
    const cli = launch(
      process.execPath,
      [
        '--import',
        'tsx',
        path.resolve(__dirname, '../scripts/replay.ts'),
        '--query',
        "WorkflowType = 'nexusSaga'",
        '--workflows',
        require.resolve('./sagas/workflows'),
      ],
      { ...process.env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace },
    );
    expect(await cli.exited).toBe(0);
    const summary = /(\d+) replayed, (\d+) compatible, (\d+) incompatible/.exec(cli.output());
    // Every Nexus saga of this file so far, this one among them.
    expect(cli.output()).toMatch(new RegExp(`✓ \\[\\d+\\] ${declined.workflowId}\n`));
    expect(Number(summary?.[1])).toBeGreaterThanOrEqual(1);
    expect(summary?.[2]).toBe(summary?.[1]);
  });
});
