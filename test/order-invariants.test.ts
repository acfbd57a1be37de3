/**
 * A batch of 100 mixed orders placed at once through the API, then the invariants that must hold whatever
 * happened to each (test/order-batch.ts).
 */
import { expectOrderInvariants, mixedBatch, settleAll } from './order-batch';
import { placeOrder } from './orders';
import type { TestSystem } from './system';
import { startTestSystem } from './system';

describe('invariants over a batch of mixed orders', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('conserves stock, nets compensated orders to zero, and charges and ships each completed order once', async () => {
    const placed = await Promise.all(
      mixedBatch(100).map(async ({ kind, request }) => ({ kind, orderId: await placeOrder(system.apiUrl, request) })),
    );
    await expectOrderInvariants(system.databases, await settleAll(system.apiUrl, placed));
  }, 180_000);
});
