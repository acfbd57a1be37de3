/**
 * `npm run saga`, the operator's command, run as a process against the dev server with escalated orders (refunds
 * the payment provider refuses): it lists them, resolves them by query and by id, reports what each did, and the
 * orders end as resolved. A command line that makes no sense gets the usage and exit code 2.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { orderWorkflowId } from '../api/orders/trigger';
import { undeliverableAddress } from './fixtures/orders';
import { eventually } from './http';
import { orderReaches, placeOrder } from './orders';
import { launch } from './processes';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

const projectRoot = path.resolve(__dirname, '..');

async function sagaCli(
  system: TestSystem,
  args: string[],
): Promise<{ exitCode: number | string; output: string; errors: string }> {
  const cli = launch(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'scripts', 'saga.ts'), ...args], {
    ...system.processEnv,
  });
  const exitCode = await cli.exited;
  return { exitCode, output: cli.output(), errors: cli.errors() };
}

describe('npm run saga', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  async function refundsOf(orderId: string) {
    const { payments } = system.databases;
    return payments
      .selectFrom('refunds')
      .innerJoin('charges', 'charges.charge_id', 'refunds.charge_id')
      .select(['refunds.amount_cents'])
      .where('charges.order_id', '=', orderId)
      .execute();
  }

  it('lists the escalated orders, resolves them by query and by id, and reports what each did', async () => {
    const customerId = `operator-cli-${randomUUID()}`;
    const escalating = (paymentToken: string) =>
      placeOrder(system.apiUrl, { customerId, paymentToken, shippingAddress: undeliverableAddress });
    // Two refunds the provider takes on the operator's retry, one it never takes.
    const [retried, alsoRetried, refusedForGood] = await Promise.all([
      escalating('tok_refund_fails_6'),
      escalating('tok_refund_fails_6'),
      escalating('tok_refund_fails_1000'),
    ]);
    const orderIds = [retried, alsoRetried, refusedForGood];
    for (const orderId of orderIds) await orderReaches(system.apiUrl, orderId, ['needs_attention'], 45_000);
    const query = `CustomerId = '${customerId}'`;
    await eventually(async () => {
      const { count } = await system.client.workflow.count(`${query} AND SagaStatus = 'needs_attention'`);
      return count === 3 ? true : undefined;
    });

    const listed = await sagaCli(system, ['list', '--status', 'needs_attention', '--query', query]);
    expect(listed.exitCode).toBe(0);
    for (const orderId of orderIds) {
      expect(listed.output).toMatch(new RegExp(`${orderWorkflowId(orderId)}\\s+needs_attention\\s+chargePayment\\s`));
    }
    expect(listed.output).toContain('\n3 saga(s)\n');

    const byQuery = await sagaCli(system, ['resolve', '--action', 'retry', '--query', query, '--reason', 'back']);
    expect(byQuery.exitCode).toBe(0);
    for (const orderId of orderIds)
      expect(byQuery.output).toContain(`✓ ${orderWorkflowId(orderId)}: chargePayment retry`);
    expect(byQuery.output).toContain('3 resolved, 0 refused, 0 failed');
    for (const orderId of [retried, alsoRetried]) {
      const order = await orderReaches(system.apiUrl, orderId, ['cancelled']);
      expect(order.saga.status).toBe('compensated');
      expect(await refundsOf(orderId)).toEqual([{ amount_cents: 7499 }]);
    }
    // Its refund is refused again: the retried saga escalates once more.
    await orderReaches(system.apiUrl, refusedForGood, ['needs_attention'], 45_000);

    // By id: the one still waiting is skipped, the one that has ended refuses, and the command says both.
    const byId = await sagaCli(system, [
      'resolve',
      '--action',
      'skip',
      orderWorkflowId(refusedForGood),
      orderWorkflowId(retried),
    ]);
    expect(byId.exitCode).toBe(1);
    expect(byId.output).toContain(`✓ ${orderWorkflowId(refusedForGood)}: chargePayment skip`);
    expect(byId.output).toContain(`✗ ${orderWorkflowId(retried)} refused: The saga is compensated`);
    expect(byId.output).toContain('1 resolved, 1 refused, 0 failed');
    const skipped = await orderReaches(system.apiUrl, refusedForGood, ['cancelled']);
    expect(skipped.saga.status).toBe('compensated');
    expect(await refundsOf(refusedForGood)).toEqual([]);

    // Every saga of the query, whatever its status, as JSON.
    await eventually(async () => {
      const { count } = await system.client.workflow.count(`${query} AND SagaStatus = 'compensated'`);
      return count === 3 ? true : undefined;
    });
    const all = await sagaCli(system, ['list', '--query', query, '--json']);
    expect(all.exitCode).toBe(0);
    const { sagas } = JSON.parse(all.output) as { sagas: { workflowId: string; searchAttributes: object }[] };
    expect(sagas.map((saga) => saga.workflowId).sort()).toEqual(orderIds.map(orderWorkflowId).sort());
    for (const saga of sagas) expect(saga.searchAttributes).toMatchObject({ SagaStatus: 'compensated' });
  }, 120_000);

  it.each([
    [['resolve', '--action', 'retry'], 'resolve needs --query or workflow ids'],
    [['resolve', '--action', 'undo', 'order-1'], '--action must be one of retry, skip, abort'],
    [['list', '--status', 'stuck'], '--status must be one of'],
    [['list', '--limit', '0'], '--limit must be a whole number'],
    [['bulk-fix'], "No command 'bulk-fix'"],
    [[], 'Name a command'],
  ])('refuses %j with the usage and exit code 2', async (args, problem) => {
    const { exitCode, errors } = await sagaCli(system, args);
    expect(exitCode).toBe(2);
    expect(errors).toContain(problem);
    expect(errors).toContain('Usage:\n  npm run saga -- list');
  });
});
