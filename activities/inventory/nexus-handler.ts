/**
 * The inventory service's Nexus handler (contract.ts): each operation is the activity of the same name, over the
 * same database, answered synchronously. A refusal (`OutOfStock`, `UnknownSku`) is a non-retryable failure, which
 * reaches the calling saga as a business failure; any other error is retried by the server.
 */
import * as nexus from 'nexus-rpc';
import type { InventoryActivities } from '.';
import { inventoryService } from './contract';

export function createInventoryNexusHandler(inventory: InventoryActivities) {
  return nexus.serviceHandler(inventoryService, {
    reserveStock: (_context, input) => inventory.reserveStock(input),
    releaseStock: (_context, input) => inventory.releaseStock(input),
    commitStock: (_context, input) => inventory.commitStock(input),
  });
}
