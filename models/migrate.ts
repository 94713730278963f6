import { Options, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { POSTGRES_TIMEOUTS } from '.';
import * as createUsersAndRefreshTokens from './migrations/001-create-users-and-refresh-tokens';
import * as rotationMarksParent from './migrations/002-rotation-marks-parent';
import * as sessions from './migrations/003-sessions';
import * as roles from './migrations/004-roles';
import * as notes from './migrations/005-notes';
import * as loginInOneStatement from './migrations/006-login-in-one-statement';
import * as pruneAndAdminIndexes from './migrations/007-prune-and-admin-indexes';
import * as notifySessionState from './migrations/008-notify-session-state';

// Listed explicitly rather than globbed, so the same list runs from TypeScript and from dist/.
const MIGRATIONS = [createUsersAndRefreshTokens, rotationMarksParent, sessions, roles, notes, loginInOneStatement, pruneAndAdminIndexes, notifySessionState];

/** Every migration's name, in the order they run. */
export const MIGRATION_NAMES: readonly string[] = MIGRATIONS.map((m) => m.name);

/**
 * The PostgreSQL advisory lock key of the migrations: any fixed number, the same in
 * every process of this server. Advisory locks are per database, so other databases
 * on the same server never wait for it.
 */
export const MIGRATION_LOCK_KEY = 7_146_031_219;

/**
 * Waiting for the lock means waiting for another process's whole migration run, and
 * a migration may legitimately take longer than a request's 5 s query limit.
 */
export const MIGRATION_QUERY_TIMEOUT_MS = 60_000;

const running = new WeakMap<Sequelize, Promise<string[]>>();

/**
 * Applies every pending migration; safe to call on each start, also from several
 * processes starting at once on one fresh database: the whole run is one
 * transaction that first takes a lock, so one process migrates while the others
 * wait, and each of them then reads what is still pending (nothing) under the lock.
 *
 * - PostgreSQL: `pg_advisory_xact_lock` on a fixed key. The lock belongs to one
 *   connection, and Sequelize hands each query whichever pooled connection is free,
 *   so the run gets a Sequelize instance of its own with a pool of exactly one
 *   connection (never evicted: min 1): BEGIN, the lock, every migration and its
 *   bookkeeping, COMMIT all go over that connection. (Sequelize's own transactions
 *   would need CLS to reach the queries inside migrations.) The lock ends with the
 *   transaction, or with the connection should the process die.
 * - SQLite: `BEGIN IMMEDIATE` takes the database's write lock at once, on the
 *   default connection where Sequelize runs every query outside a transaction; a
 *   second process waits in SQLite's busy handler (the 5 s busy_timeout of
 *   models/index.ts) and then finds nothing pending.
 *
 * So a migration runs inside a transaction on both dialects: a failed one leaves
 * nothing behind. A migration must therefore not open a transaction of its own
 * (on SQLite Sequelize would open another connection, which waits for this one's
 * lock), nor use statements PostgreSQL refuses in a transaction (CREATE INDEX
 * CONCURRENTLY) or SQLite ignores there (PRAGMA foreign_keys): such a change runs
 * apart. Calls on one Sequelize instance queue up behind each other.
 */
export function migrate(sequelize: Sequelize): Promise<string[]> {
  const previous = running.get(sequelize) ?? Promise.resolve([]);
  const run = previous.catch(() => []).then(() => migrateLocked(sequelize));
  running.set(sequelize, run);
  return run;
}

async function migrateLocked(sequelize: Sequelize): Promise<string[]> {
  if (sequelize.getDialect() !== 'postgres') return inTransaction(sequelize, ['BEGIN IMMEDIATE']);
  const single = onOneConnection(sequelize);
  try {
    return await inTransaction(single, ['BEGIN', `SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`]);
  } finally {
    await single.close();
  }
}

/** Runs `begin` (which takes the lock), the pending migrations as read after it, then COMMIT; ROLLBACK on any failure. */
async function inTransaction(sequelize: Sequelize, begin: string[]): Promise<string[]> {
  await sequelize.query(begin[0]);
  try {
    for (const statement of begin.slice(1)) await sequelize.query(statement);
    const umzug = new Umzug({
      migrations: MIGRATIONS.map((m) => ({ name: m.name, up: m.up, down: m.down })),
      context: sequelize.getQueryInterface(),
      storage: new SequelizeStorage({ sequelize, tableName: 'sequelize_meta' }),
      logger: undefined,
    });
    const applied = await umzug.up();
    await sequelize.query('COMMIT');
    return applied.map((m) => m.name);
  } catch (error) {
    await sequelize.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A Sequelize instance on the same PostgreSQL database whose pool holds exactly one connection. */
function onOneConnection(sequelize: Sequelize): Sequelize {
  const { database, username, password, host, port, dialectOptions } = sequelize.config;
  const { logging } = (sequelize as unknown as { options: Options }).options;
  return new Sequelize({
    dialect: 'postgres',
    database,
    username,
    password: password ?? undefined,
    host,
    port: port === undefined ? undefined : Number(port),
    logging,
    pool: { max: 1, min: 1, acquire: MIGRATION_QUERY_TIMEOUT_MS, idle: MIGRATION_QUERY_TIMEOUT_MS },
    dialectOptions: {
      ...dialectOptions,
      connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
      query_timeout: MIGRATION_QUERY_TIMEOUT_MS,
    },
  });
}
