/**
 * The inventory service's Nexus contract: what a saga in another namespace depends on, with an endpoint's name, to
 * reserve, release and commit stock. Each operation is synchronous, and takes and answers what the activity of the
 * same name does (../contracts.ts). The handler is nexus-handler.ts.
 */
import * as nexus from 'nexus-rpc';
import type { ActivityInput, ActivityOutput } from '../contracts';
import type { InventoryActivities } from '.';

export const inventoryService = nexus.service('inventory', {
  reserveStock: nexus.operation<
    ActivityInput<InventoryActivities, 'reserveStock'>,
    ActivityOutput<InventoryActivities, 'reserveStock'>
  >(),
  releaseStock: nexus.operation<
    ActivityInput<InventoryActivities, 'releaseStock'>,
    ActivityOutput<InventoryActivities, 'releaseStock'>
  >(),
  commitStock: nexus.operation<
    ActivityInput<InventoryActivities, 'commitStock'>,
    ActivityOutput<InventoryActivities, 'commitStock'>
  >(),
});
