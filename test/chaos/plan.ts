/**
 * What the chaos run sends, decided up front from its seed: each order's path through the system (every one that
 * docs/order-system.md lists), its request, and whether and when the client cancels it. The same seed gives the
 * same orders and the same cancellations; only the faults' timing comes from the clock.
 */
import type { PlaceOrderRequest } from '../../api/orders/schema';
import { orderRequest, undeliverableAddress } from '../fixtures/orders';
import type { OrderKind } from '../order-batch';
import { expectedStatus as batchExpectedStatus } from '../order-batch';

/** The mixed batch's paths (test/order-batch.ts), and the payment tokens that stretch or stop a step. */
export type ChaosKind = OrderKind | 'fraud' | 'slowAck' | 'slowCapture';

/** How each path ends when nobody cancels it. */
export const expectedStatus: Record<ChaosKind, string> = {
  ...batchExpectedStatus,
  fraud: 'cancelled',
  slowAck: 'completed',
  slowCapture: 'completed',
};

/** Out of 100 orders. `slowCapture` is frequent: its 5 s before the capture is the window cancellations aim at. */
const kindWeights: Record<ChaosKind, number> = {
  normal: 36,
  flaky: 8,
  slowAck: 8,
  slowCapture: 16,
  soldOut: 8,
  declined: 8,
  fraud: 8,
  undeliverable: 8,
};

/** When the client cancels an order, counted from the API's 202. */
export type CancelMoment =
  | { at: 'placed' }
  | { at: 'after'; delayMs: number }
  /** Once `chargePayment` runs (for `tok_slow_capture`: during its 5 s before the capture), then `delayMs`. */
  | { at: 'charging'; delayMs: number };

export interface PlannedOrder {
  index: number;
  kind: ChaosKind;
  /** The `Idempotency-Key` it is placed with, so that a retried POST names the same order. */
  idempotencyKey: string;
  request: PlaceOrderRequest;
  cancel: CancelMoment | undefined;
}

/** mulberry32: a small, fast generator, enough to make a mix repeatable. Returns numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickKind(random: () => number): ChaosKind {
  const entries = Object.entries(kindWeights) as [ChaosKind, number][];
  let roll = random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [kind, weight] of entries) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return 'normal';
}

function overridesOf(kind: ChaosKind, index: number): Partial<PlaceOrderRequest> {
  const items = [
    { sku: `SKU-${(index % 5) + 1}`, quantity: (index % 3) + 1 },
    { sku: 'SKU-1', quantity: 1 },
  ];
  switch (kind) {
    case 'normal':
      return { items };
    case 'flaky':
      return { items, paymentToken: 'tok_flaky_2' };
    case 'slowAck':
      return { items, paymentToken: 'tok_slow' };
    case 'slowCapture':
      return { items, paymentToken: 'tok_slow_capture' };
    case 'soldOut':
      return { items: [...items, { sku: 'SKU-SOLD-OUT', quantity: 1 }] };
    case 'declined':
      return { items, paymentToken: 'tok_declined' };
    case 'fraud':
      return { items, paymentToken: 'tok_fraud' };
    case 'undeliverable':
      return { items, shippingAddress: undeliverableAddress };
  }
}

/**
 * Most cancellations land while an action is in flight: at once (creating the order, reserving), within 3 s, or
 * during a slow capture; a few come late, mostly after the pivot, where they must be refused.
 */
function cancelMomentOf(kind: ChaosKind, random: () => number): CancelMoment {
  if (kind === 'slowCapture') return { at: 'charging', delayMs: Math.round(random() * 3000) };
  const roll = random();
  if (roll < 0.35) return { at: 'placed' };
  if (roll < 0.8) return { at: 'after', delayMs: Math.round(random() * 3000) };
  return { at: 'after', delayMs: 5000 + Math.round(random() * 10_000) };
}

/** `size` orders for the run `runId`, their paths and cancellations drawn from `seed`. */
export function planOrders({
  size,
  seed,
  cancelShare,
  runId,
}: {
  size: number;
  seed: number;
  cancelShare: number;
  runId: string;
}): PlannedOrder[] {
  const random = seededRandom(seed);
  return Array.from({ length: size }, (_, index) => {
    const kind = pickKind(random);
    const cancelled = random() < cancelShare;
    return {
      index,
      kind,
      idempotencyKey: `chaos-${runId}-${index}`,
      request: orderRequest({ customerId: `chaos-${seed}-${index}`, ...overridesOf(kind, index) }),
      cancel: cancelled ? cancelMomentOf(kind, random) : undefined,
    };
  });
}
