/**
 * Exactly-once effects on at-least-once delivery, fenced by their compensations.
 *
 * Temporal may run an activity more than once (a retry after a timeout, a worker that died before reporting), and
 * an attempt may still be running, or arrive late, after the saga gave up on it and compensated. So every effect
 * is keyed by its step's idempotency key, in the same transaction as the effect:
 * - {@link runOnce} claims the key first (an insert: on PostgreSQL a concurrent attempt waits on it, on SQLite it
 *   takes the write lock before anything is read, and waits for another process's lock without blocking the
 *   worker), then runs the effect once. A repeat with the same arguments
 *   returns the first result; with other arguments it is an `IdempotencyConflict`, never a silent success.
 * - {@link compensateOnce} runs an undo once per key, and in the same transaction leaves a tombstone on the
 *   action's key. An action that arrives after its compensation finds the tombstone, does nothing, and fails with
 *   `ActionFenced`; one that committed before it is found and undone. Either way no effect outlives its undo.
 */
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { Kysely, Migration, Transaction } from 'kysely';

/** What a key's row records. */
export const KeyKind = {
  /** An effect ran under this key; `result` is what it returned. */
  Effect: 'effect',
  /** The action's compensation ran before the action did: the action must never run. */
  Tombstone: 'tombstone',
} as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

export interface IdempotencyKeysTable {
  key: string;
  /** The first result, as JSON. */
  result: string;
  created_at: string;
  /** {@link KeyKind}; `effect` for rows written before tombstones existed. */
  kind: KeyKind | null;
  /** SHA-256 of the arguments the key was first used with; null for a tombstone and for older rows. */
  args_hash: string | null;
}

export interface IdempotencySchema {
  idempotency_keys: IdempotencyKeysTable;
}

/** The failures of the helper itself: non-retryable, since a retry would meet the same row. */
export const IdempotencyFailure = {
  /** The key was first used with other arguments. */
  IdempotencyConflict: 'IdempotencyConflict',
  /** The action's compensation already ran; this late attempt did nothing. */
  ActionFenced: 'ActionFenced',
} as const;
export type IdempotencyFailure = (typeof IdempotencyFailure)[keyof typeof IdempotencyFailure];

export const createIdempotencyKeys: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('idempotency_keys')
      .addColumn('key', 'text', (column) => column.primaryKey())
      .addColumn('result', 'text', (column) => column.notNull())
      .addColumn('created_at', 'text', (column) => column.notNull())
      .execute();
  },
};

/** Adds what binding keys to their arguments and fencing need; a service's second migration. */
export const addIdempotencyFencing: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('idempotency_keys').addColumn('kind', 'text').execute();
    await db.schema.alterTable('idempotency_keys').addColumn('args_hash', 'text').execute();
  },
};

/** A step's key and the arguments it is bound to (the activity's input). */
export interface KeyedCall {
  key: string;
  args: unknown;
}

/**
 * Runs `effect` in a transaction, once per key. A repeat with the same arguments returns the recorded result
 * without touching anything; with other arguments it fails with `IdempotencyConflict`; after the action's
 * compensation it fails with `ActionFenced`. A failure thrown by `effect` rolls the claim back with it: nothing
 * happened, and a retry runs the effect again.
 */
export function runOnce<Schema extends IdempotencySchema, T>(
  db: Kysely<Schema>,
  call: KeyedCall,
  effect: (trx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  return retryWhileBusy(() => runOnceIn(db, call, effect));
}

function runOnceIn<Schema extends IdempotencySchema, T>(
  db: Kysely<Schema>,
  call: KeyedCall,
  effect: (trx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const keys = trx as unknown as Transaction<IdempotencySchema>;
    const argsHash = hashOf(call.args);
    const claimed = await keys
      .insertInto('idempotency_keys')
      .values({ key: call.key, result: 'null', created_at: timestamp(), kind: KeyKind.Effect, args_hash: argsHash })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .executeTakeFirst();
    if (claimed.numInsertedOrUpdatedRows === 0n) return recordedResult<T>(keys, call.key, argsHash);
    const result = await effect(trx);
    await keys
      .updateTable('idempotency_keys')
      .set({ result: JSON.stringify(result ?? null) })
      .where('key', '=', call.key)
      .execute();
    return result;
  });
}

/**
 * Runs a compensation's `undo` once per key (as {@link runOnce}), after leaving a tombstone on `actionKey` in the
 * same transaction: an action attempt still in flight commits first (PostgreSQL waits for it) and is undone, or
 * arrives later and is fenced off.
 */
export function compensateOnce<Schema extends IdempotencySchema, T>(
  db: Kysely<Schema>,
  call: KeyedCall & { actionKey: string },
  undo: (trx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  return runOnce(db, call, async (trx) => {
    await (trx as unknown as Transaction<IdempotencySchema>)
      .insertInto('idempotency_keys')
      .values({
        key: call.actionKey,
        result: 'null',
        created_at: timestamp(),
        kind: KeyKind.Tombstone,
        args_hash: null,
      })
      .onConflict((conflict) => conflict.column('key').doNothing())
      .execute();
    return undo(trx);
  });
}

async function recordedResult<T>(keys: Transaction<IdempotencySchema>, key: string, argsHash: string): Promise<T> {
  const recorded = await keys
    .selectFrom('idempotency_keys')
    .select(['result', 'kind', 'args_hash'])
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  if (recorded.kind === KeyKind.Tombstone) {
    throw idempotencyFailure(
      IdempotencyFailure.ActionFenced,
      `The compensation of ${key} already ran: this attempt did nothing.`,
    );
  }
  if (recorded.args_hash !== null && recorded.args_hash !== argsHash) {
    throw idempotencyFailure(
      IdempotencyFailure.IdempotencyConflict,
      `The key ${key} was first used with other arguments: nothing was done.`,
    );
  }
  return JSON.parse(recorded.result) as T;
}

function idempotencyFailure(type: IdempotencyFailure, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, category: ApplicationFailureCategory.BENIGN });
}

/** Tries of a transaction that met another SQLite connection's write lock: some 25 s in all. */
const busyTries = 30;

/**
 * Runs a transaction again while SQLite reports the database busy (another process holds the write lock past the
 * connection's short busy timeout): the wait is asynchronous, so the worker's other activities and workflows go on,
 * and the step never sees the lock. Anything else is rethrown at once.
 */
async function retryWhileBusy<T>(transaction: () => Promise<T>): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await transaction();
    } catch (error) {
      const code = (error as { code?: unknown } | undefined)?.code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || tried >= busyTries) throw error;
      await delay(Math.min(25 * 2 ** tried, 1000));
    }
  }
}

/** SHA-256 of the arguments as JSON with sorted keys, so that key order does not matter. */
function hashOf(args: unknown): string {
  return createHash('sha256').update(canonicalJson(args)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Now, as stored: ISO-8601 text, the same in SQLite and PostgreSQL. */
export function timestamp(): string {
  return new Date().toISOString();
}
