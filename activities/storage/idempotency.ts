/**
 * Exactly-once effects on at-least-once delivery. Temporal may run an activity more than once (a retry after a
 * timeout, a worker that died before reporting); each service therefore records the step's idempotency key in the
 * same transaction as the effect. A repeat finds the key and returns the first result without touching anything.
 */
import type { Kysely, Migration, Transaction } from 'kysely';

export interface IdempotencyKeysTable {
  key: string;
  /** The first result, as JSON. */
  result: string;
  created_at: string;
}

export interface IdempotencySchema {
  idempotency_keys: IdempotencyKeysTable;
}

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

/**
 * Runs `effect` in a transaction, once per `key`: a repeat returns the recorded result. If two attempts race, the
 * second one's insert of the key fails, its transaction (with its effect) rolls back, and it returns the first's.
 * A business failure thrown by `effect` rolls back and is not recorded: nothing happened.
 */
export async function runOnce<Schema extends IdempotencySchema, T>(
  db: Kysely<Schema>,
  key: string,
  effect: (trx: Transaction<Schema>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const keys = trx as unknown as Transaction<IdempotencySchema>;
        const recorded = await keys
          .selectFrom('idempotency_keys')
          .select('result')
          .where('key', '=', key)
          .executeTakeFirst();
        if (recorded) return JSON.parse(recorded.result) as T;
        const result = await effect(trx);
        await keys
          .insertInto('idempotency_keys')
          .values({ key, result: JSON.stringify(result ?? null), created_at: new Date().toISOString() })
          .execute();
        return result;
      });
    } catch (error) {
      if (attempt === 1 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

/** SQLite's and PostgreSQL's unique-constraint errors. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** Now, as stored: ISO-8601 text, the same in SQLite and PostgreSQL. */
export function timestamp(): string {
  return new Date().toISOString();
}
