/**
 * Each service's own database, through one typed query layer (Kysely) that speaks both of the places a service
 * may keep its data: an embedded SQLite file (the default, one per service under the data folder) and
 * PostgreSQL (production, chosen by a `<SERVICE>_DATABASE_URL`). The schema is created or migrated at start.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Migration } from 'kysely';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Pool, types } from 'pg';

/** Where a service keeps its data. */
export type DatabaseLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** A PostgreSQL URL if one is given, else `<dataDir>/<service>.sqlite`. */
export function databaseLocation(service: string, dataDir: string, url: string | undefined): DatabaseLocation {
  if (url) return { kind: 'postgres', url };
  return { kind: 'sqlite', file: path.join(dataDir, `${service}.sqlite`) };
}

export function describeLocation(location: DatabaseLocation): string {
  return location.kind === 'sqlite' ? location.file : location.url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Opens the database and brings its schema up to date with `migrations` (applied in name order, once each). */
export async function openDatabase<Schema>(
  location: DatabaseLocation,
  migrations: Record<string, Migration>,
): Promise<Kysely<Schema>> {
  const db = new Kysely<Schema>({ dialect: dialectFor(location) });
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(`Migrating ${describeLocation(location)} failed${failed ? ` at ${failed}` : ''}`, { cause: error });
  }
  return db;
}

/** Connects to the database and asks it one trivial question, changing nothing; rejects if it cannot. */
export async function reachDatabase(location: DatabaseLocation): Promise<void> {
  const db = new Kysely<unknown>({ dialect: dialectFor(location) });
  try {
    await sql`select 1`.execute(db);
  } finally {
    await db.destroy();
  }
}

// Money is kept in cents as BIGINT; SQLite hands it back as a number, and so shall PostgreSQL (its driver would
// give a string). Cents stay far below 2^53.
types.setTypeParser(types.builtins.INT8, (value) => Number(value));

function dialectFor(location: DatabaseLocation) {
  if (location.kind === 'postgres') {
    // A worker that hangs inside a transaction (frozen, cut off) would hold its key's claim, and so its retry and
    // its compensation, for good: the server ends such a session after a minute and rolls it back.
    const pool = new Pool({ connectionString: location.url, max: 10, idle_in_transaction_session_timeout: 60_000 });
    // A connection the server drops (a restart, an idle-connection kill) is an 'error' event: on the pool while the
    // connection is idle (logged here), on the connection itself while a transaction holds it between two queries
    // (the transaction's next query fails with it). Unheard, either would crash the worker. The pool replaces the
    // connection, and Temporal retries the activity whose query failed.
    pool.on('error', (error) => console.error(`PostgreSQL dropped an idle connection: ${error.message}`));
    pool.on('connect', (client) => client.on('error', () => undefined));
    return new PostgresDialect({ pool });
  }
  mkdirSync(path.dirname(location.file), { recursive: true });
  const sqlite = new Database(location.file);
  // WAL lets readers (an operator, a test) see committed rows while the service writes. The busy timeout lets two
  // processes that open the same file wait for each other; it is short, since better-sqlite3 waits synchronously,
  // holding up the whole worker: the services' transactions (runOnce) wait longer, asynchronously.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 1000');
  return new SqliteDialect({ database: sqlite });
}
