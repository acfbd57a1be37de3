/**
 * The inventory service: stock and reservations, on the `inventory` task queue; with `SERVICE_WIRING=nexus`, in its
 * own namespace, serving its Nexus operations there (activities/inventory/contract.ts) beside its activities.
 */
import { createInventoryActivities, demoCatalog, stockCatalog } from '../activities/inventory';
import { log as nexusLog } from '@temporalio/nexus';
import { createInventoryNexusHandler } from '../activities/inventory/nexus-handler';
import type { InventorySchema } from '../activities/inventory/schema';
import { inventoryMigrations } from '../activities/inventory/schema';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps } from './service-worker';
import { createService, depsInOwnNamespace } from './service-worker';

export function createInventoryService(deps: ServiceDeps): Promise<Service> {
  const own = depsInOwnNamespace('inventory', deps);
  return createService<InventorySchema>('inventory', own, inventoryMigrations, async (db) => {
    await stockCatalog(db, demoCatalog);
    return {
      activities: createInventoryActivities({ db }),
      ...(own.config.nexus
        ? { nexusServices: [createInventoryNexusHandler(createInventoryActivities({ db, log: nexusLog }))] }
        : {}),
    };
  });
}

if (require.main === module) runServiceProcess(createInventoryService);
