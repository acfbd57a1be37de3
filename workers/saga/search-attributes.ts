/**
 * The search attributes a namespace needs before sagas run in it: the engine's own (`SagaStatus`, `SagaStep`) and
 * the domain's. A saga that upserts an attribute its namespace does not know fails its workflow task, so a worker
 * registers them at start (the dev server takes them as flags instead; Temporal Cloud through its own API).
 */
import type { Connection } from '@temporalio/client';
import type { defineSearchAttributeKey } from '@temporalio/common';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SagaStatusKey, SagaStepKey } from '../../workflows/saga';

/** A search attribute key of any type (the SDK exports the function that makes keys, not their type). */
type AnySearchAttributeKey = ReturnType<typeof defineSearchAttributeKey<SearchAttributeType>>;

/** The engine's search attributes: every saga keeps them current, unless it runs with `searchAttributes: false`. */
export const sagaSearchAttributeKeys: readonly AnySearchAttributeKey[] = [SagaStatusKey, SagaStepKey];

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const indexedTypeOf: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** A search attribute registered under the same name with another type: sagas would fail to set it. */
export class SearchAttributeConflictError extends Error {
  override readonly name = 'SearchAttributeConflictError';
}

/**
 * The custom search attributes `namespace` has, by name; none known on a server that cannot list them (the
 * time-skipping test server), which then takes every key as new.
 */
async function registeredAttributes(
  connection: Connection,
  namespace: string,
): Promise<Record<string, temporal.api.enums.v1.IndexedValueType>> {
  try {
    return (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  } catch (error) {
    if ((error as { code?: unknown }).code === grpcUnimplemented) return {};
    throw error;
  }
}

/** gRPC's status code for a method the server does not have. */
const grpcUnimplemented = 12;

/**
 * Registers `keys` (the engine's by default; add the domain's) in `namespace`, leaving those already registered
 * alone: safe to call from every worker at every start. Throws {@link SearchAttributeConflictError} when a name is
 * taken by another type. Needs a server that lets clients manage search attributes (a self-hosted cluster, the dev
 * server); on Temporal Cloud, register them with `tcld` or the Cloud UI instead.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly AnySearchAttributeKey[] = sagaSearchAttributeKeys,
): Promise<{ added: string[] }> {
  const customAttributes = await registeredAttributes(connection, namespace);
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of keys) {
    const wanted = indexedTypeOf[key.type];
    const existing = customAttributes[key.name];
    if (existing === undefined) missing[key.name] = wanted;
    else if (existing !== wanted) {
      throw new SearchAttributeConflictError(
        `Search attribute ${key.name} is registered in namespace ${namespace} as ${IndexedValueType[existing]}, ` +
          `not ${IndexedValueType[wanted]}.`,
      );
    }
  }
  const added = Object.keys(missing);
  if (added.length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  return { added };
}
