/** Registers the project's search attributes on a server that does not know them (test server, full cluster). */
import type { Connection } from '@temporalio/client';
import { registerSearchAttributes as register } from '../workers/saga';
import { searchAttributeKeys } from '../workflows/search-attributes';

export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  await register(connection, namespace, searchAttributeKeys);
}
