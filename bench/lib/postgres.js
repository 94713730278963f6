'use strict';
/**
 * A PostgreSQL database of the benchmark's own, created on the server that the
 * admin URL names (BENCH_POSTGRES_URL, by default the machine's own, as the tests
 * use it) and dropped at the end.
 */
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');

const ADMIN_URL = process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** The URL without its password, for log lines. */
function shown(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function adminQuery(sql) {
  const client = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates a fresh database; rejects when PostgreSQL cannot be reached (the caller skips its rows). */
async function createDatabase() {
  const name = `auth_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

module.exports = { ADMIN_URL, createDatabase, shown };
