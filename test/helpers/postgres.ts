import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The local PostgreSQL server the suites run against (`TEST_DATABASE_URL`, by
 * default the machine's own: 127.0.0.1:5432, trust auth, user postgres, database
 * test). Each caller gets a database of its own, so test files run in parallel,
 * and drops it when done.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const START_HINT = 'is PostgreSQL running? `service postgresql start` (see README, Quick start)';

export interface PostgresDatabase {
  /** A postgres:// URL naming the new database. */
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${String(error)}); ${START_HINT}`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database on the test server. */
export async function createPostgresDatabase(prefix = 'auth_test'): Promise<PostgresDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
