/** One task queue per service: a service's worker polls only its own, so a service down stalls no other. */
export const TaskQueue = {
  Orders: 'orders',
  Inventory: 'inventory',
  Payments: 'payments',
  Shipping: 'shipping',
} as const;
export type TaskQueue = (typeof TaskQueue)[keyof typeof TaskQueue];
