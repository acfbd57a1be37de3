/** The four services in one process: what `npm start` and the test suite run. */
import { createInventoryService } from './inventory';
import { createOrdersService } from './orders';
import { createPaymentsService } from './payments';
import type { NexusServiceName } from '../workflows/task-queues';
import type { Service, ServiceDeps, ServiceName, WorkflowSource } from './service-worker';
import { createShippingService } from './shipping';

export const allServices: readonly ServiceName[] = ['orders', 'inventory', 'payments', 'shipping'];

/** The services another team may own: in the Nexus wiring, each in a namespace of its own. */
export const nexusServices: readonly NexusServiceName[] = ['inventory', 'payments', 'shipping'];

export interface RunningServices {
  services: Service[];
  /** Settles when every worker has stopped and its storage is closed; rejects if one fails. */
  running: Promise<void>;
  /** Stops polling, lets in-flight tasks finish, waits for every worker to stop, closes the storage. */
  shutdown: () => Promise<void>;
}

/** Starts the named services (all by default) in this process. */
export async function startServices(
  deps: ServiceDeps,
  options: {
    workflows?: WorkflowSource;
    only?: readonly ServiceName[];
    /** A slow shipping service (benchmarks, demos). @default 0 */
    shippingDispatchDelayMs?: number;
  } = {},
): Promise<RunningServices> {
  const factories: Record<ServiceName, () => Promise<Service>> = {
    orders: () => createOrdersService(deps, options.workflows),
    inventory: () => createInventoryService(deps),
    payments: () => createPaymentsService(deps),
    shipping: () =>
      createShippingService(deps, options.workflows, { dispatchDelayMs: options.shippingDispatchDelayMs ?? 0 }),
  };
  const services: Service[] = [];
  try {
    for (const name of options.only ?? allServices) services.push(await factories[name]());
  } catch (error) {
    await Promise.all(services.map((service) => service.close()));
    throw error;
  }
  const running = Promise.all(services.map((service) => service.run())).then(() => undefined);
  return {
    services,
    running,
    shutdown: async () => {
      for (const { worker } of services) if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
