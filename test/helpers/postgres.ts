import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The PostgreSQL server the suites also run against when `TEST_DATABASE_URL` names
 * one (`.ci/run` sets it to the machine's own: postgres://postgres@127.0.0.1:5432/test).
 * Unset, the suites run on SQLite only and the PostgreSQL-only ones are skipped.
 * Each caller gets a database of its own, so test files run in parallel, and drops
 * it when done.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || null;
const START_HINT = 'is PostgreSQL running? `service postgresql start` (see README, Quick start)';

/** `describe` for a suite that needs PostgreSQL: skipped when TEST_DATABASE_URL is unset. */
export const describeOnPostgres = TEST_DATABASE_URL ? describe : describe.skip;

function serverUrl(): string {
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set: this test needs PostgreSQL (guard it with describeOnPostgres or DIALECTS)');
  return TEST_DATABASE_URL;
}

export interface PostgresDatabase {
  /** A postgres:// URL naming the new database. */
  url: string;
  name: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl(), connectionTimeoutMillis: 3000 });
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
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
