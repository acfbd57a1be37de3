/** The inventory service: stock and reservations, on the `inventory` task queue. */
import { createInventoryActivities, demoCatalog, stockCatalog } from '../activities/inventory';
import type { InventorySchema } from '../activities/inventory/schema';
import { inventoryMigrations } from '../activities/inventory/schema';
import { runServiceProcess } from './service-process';
import type { Service, ServiceDeps } from './service-worker';
import { createService } from './service-worker';

export function createInventoryService(deps: ServiceDeps): Promise<Service> {
  return createService<InventorySchema>('inventory', deps, inventoryMigrations, async (db) => {
    await stockCatalog(db, demoCatalog);
    return { activities: createInventoryActivities({ db }) };
  });
}

if (require.main === module) runServiceProcess(createInventoryService);
