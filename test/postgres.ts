/**
 * The services' storage in tests: an embedded SQLite file per service by default, or, when `TEST_POSTGRES_URL`
 * names a PostgreSQL server (`scripts/postgres/start-local.sh` starts one), a fresh database per service and per
 * test system on that server, so that each test starts from empty tables as it does with SQLite.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { Client } from 'pg';
import { allServices } from '../workers/service-workers';

export const testPostgresUrlVariable = 'TEST_POSTGRES_URL';

export interface ServiceDatabases {
  /** `<SERVICE>_DATABASE_URL` variables to add to the services' environment (none for SQLite). */
  env: Record<string, string>;
  drop: () => Promise<void>;
}

async function onServer<T>(serverUrl: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createServiceDatabases(
  serverUrl = process.env[testPostgresUrlVariable],
): Promise<ServiceDatabases> {
  if (!serverUrl) return { env: {}, drop: async () => undefined };
  const prefix = `test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const names = allServices.map((service) => ({ service, database: `${prefix}_${service}` }));
  await onServer(serverUrl, async (client) => {
    for (const { database } of names) await client.query(`CREATE DATABASE ${database}`);
  });
  const env = Object.fromEntries(
    names.map(({ service, database }) => {
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      return [`${service.toUpperCase()}_DATABASE_URL`, url.toString()];
    }),
  );
  const drop = () =>
    onServer(serverUrl, async (client) => {
      for (const { database } of names) await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    });
  return { env, drop };
}

/** Ends every connection to the databases whose name starts with `prefix`, as a server restart would. */
export async function terminateConnections(prefix: string, serverUrl = process.env[testPostgresUrlVariable]) {
  if (!serverUrl) throw new Error(`${testPostgresUrlVariable} is not set`);
  return onServer(serverUrl, async (client) => {
    const result = await client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE $1 AND pid <> pg_backend_pid()',
      [`${prefix}%`],
    );
    return result.rowCount ?? 0;
  });
}

/**
 * Restarts the PostgreSQL that `scripts/postgres/start-local.sh` started (`POSTGRES_DATA_DIR`): a fast shutdown,
 * which ends every connection, then a start with the same settings. Resolves once it accepts connections again.
 */
export function restartLocalServer(dataDir = process.env.POSTGRES_DATA_DIR): void {
  if (!dataDir) throw new Error('POSTGRES_DATA_DIR is not set: eval "$(scripts/postgres/start-local.sh)" first.');
  const bin = readdirSync('/usr/lib/postgresql')
    .sort((a, b) => Number(a) - Number(b))
    .map((version) => `/usr/lib/postgresql/${version}/bin`)
    .pop();
  const pgCtl = [`${bin}/pg_ctl`, '-D', `${dataDir}/cluster`, '-m', 'fast', '-w', '-t', '30', 'restart'];
  const [command, ...args] = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...pgCtl] : pgCtl;
  execFileSync(command!, args, { stdio: 'ignore' });
}

/** Holds `lock` (SQL that takes a lock) in a transaction of its own until the returned function is called. */
export async function holding<Schema>(db: Kysely<Schema>, lock: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const taken = new Promise<void>((resolve) => (locked = resolve));
  const transaction = db.transaction().execute(async (trx) => {
    await sql.raw(lock).execute(trx);
    locked();
    await released;
  });
  await taken;
  return async () => {
    release();
    await transaction;
  };
}
