/**
 * The Nexus wiring's endpoints (`SERVICE_WIRING=nexus`): one per service another team may own, whose target is that
 * service's namespace and task queue. `npm start` and the tests create them on the server they run; on a cluster of
 * one's own, an operator creates them once (`temporal operator nexus endpoint create`, README).
 */
import type { Connection } from '@temporalio/client';
import type { NexusWiring } from '../config';
import type { NexusServiceName, TaskQueues } from '../workflows/task-queues';

/** Each endpoint of `wiring` as the server should hold it. */
function endpointSpecs(wiring: NexusWiring, taskQueues: TaskQueues) {
  return (Object.entries(wiring) as [NexusServiceName, NexusWiring[NexusServiceName]][]).map(
    ([service, { namespace, endpoint }]) => ({
      name: endpoint,
      target: { worker: { namespace, taskQueue: taskQueues[service] } },
    }),
  );
}

/**
 * Creates each endpoint of `wiring` that the server lacks, and points one that targets elsewhere at its service
 * (its target is what the configuration says, for the server the configuration is about). Endpoints are the
 * cluster's, not a namespace's.
 */
export async function ensureNexusEndpoints(
  connection: Connection,
  wiring: NexusWiring,
  taskQueues: TaskQueues,
): Promise<void> {
  for (const spec of endpointSpecs(wiring, taskQueues)) {
    const { endpoints } = await connection.operatorService.listNexusEndpoints({ name: spec.name, pageSize: 1 });
    const existing = endpoints?.[0];
    if (!existing) {
      await connection.operatorService.createNexusEndpoint({ spec });
      continue;
    }
    const target = existing.spec?.target?.worker;
    if (target?.namespace === spec.target.worker.namespace && target.taskQueue === spec.target.worker.taskQueue) {
      continue;
    }
    await connection.operatorService.updateNexusEndpoint({ id: existing.id, version: existing.version, spec });
  }
}

/** Deletes the endpoints of `wiring` (a test system's, when it stops). */
export async function deleteNexusEndpoints(connection: Connection, wiring: NexusWiring): Promise<void> {
  for (const { endpoint } of Object.values(wiring)) {
    const { endpoints } = await connection.operatorService.listNexusEndpoints({ name: endpoint, pageSize: 1 });
    const existing = endpoints?.[0];
    if (existing) await connection.operatorService.deleteNexusEndpoint({ id: existing.id, version: existing.version });
  }
}

/** For banners: `Nexus: inventory in 'inventory' via 'inventory', …`. */
export function describeNexusWiring(wiring: NexusWiring): string {
  const services = Object.entries(wiring).map(
    ([service, { namespace, endpoint }]) => `${service} in '${namespace}' via '${endpoint}'`,
  );
  return `Nexus: ${services.join(', ')}`;
}
