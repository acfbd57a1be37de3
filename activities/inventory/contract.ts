/**
 * The inventory service's Nexus contract: what a saga in another namespace depends on, with an endpoint's name, to
 * reserve, release and commit stock. Each operation is synchronous, and takes and answers what the activity of the
 * same name does: the types are the activities' own, so that the two wirings cannot drift apart. The handler is
 * nexus-handler.ts.
 */
import * as nexus from 'nexus-rpc';
import type { InventoryActivities } from '.';

type Input<K extends keyof InventoryActivities> = Parameters<InventoryActivities[K]>[0];
type Output<K extends keyof InventoryActivities> = Awaited<ReturnType<InventoryActivities[K]>>;

export const inventoryService = nexus.service('inventory', {
  reserveStock: nexus.operation<Input<'reserveStock'>, Output<'reserveStock'>>(),
  releaseStock: nexus.operation<Input<'releaseStock'>, Output<'releaseStock'>>(),
  commitStock: nexus.operation<Input<'commitStock'>, Output<'commitStock'>>(),
});
