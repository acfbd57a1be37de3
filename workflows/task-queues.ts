/**
 * One task queue per service: a service's worker polls only its own, so a service down stalls no other. These are
 * the default names; a deployment may rename them (`<SERVICE>_TASK_QUEUE`), and the API then hands the names to
 * each saga it starts, so that the saga reaches the services where they poll.
 */
export const TaskQueue = {
  Orders: 'orders',
  Inventory: 'inventory',
  Payments: 'payments',
  Shipping: 'shipping',
} as const;
export type TaskQueue = (typeof TaskQueue)[keyof typeof TaskQueue];

/** A service is named after its default task queue. */
export type ServiceName = TaskQueue;

/** Each service's task queue. */
export type TaskQueues = Record<ServiceName, string>;

export const defaultTaskQueues: TaskQueues = {
  orders: TaskQueue.Orders,
  inventory: TaskQueue.Inventory,
  payments: TaskQueue.Payments,
  shipping: TaskQueue.Shipping,
};

/** The services another team may own, reached over Nexus from a namespace of their own. */
export type NexusServiceName = Exclude<ServiceName, 'orders'>;

/**
 * The Nexus endpoint of each service reached over Nexus (`SERVICE_WIRING=nexus`); a service without one is called
 * on its task queue.
 */
export type NexusEndpoints = Partial<Record<NexusServiceName, string>>;
