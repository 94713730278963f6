import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { exclusively } from './exclusive';
import * as createUsersAndRefreshTokens from './migrations/001-create-users-and-refresh-tokens';
import * as rotationMarksParent from './migrations/002-rotation-marks-parent';
import * as sessions from './migrations/003-sessions';
import * as roles from './migrations/004-roles';
import * as notes from './migrations/005-notes';
import * as loginInOneStatement from './migrations/006-login-in-one-statement';
import * as pruneAndAdminIndexes from './migrations/007-prune-and-admin-indexes';
import * as notifySessionState from './migrations/008-notify-session-state';
import * as signingKeys from './migrations/009-signing-keys';
import * as mailAndAccountTokens from './migrations/010-mail-and-account-tokens';
import * as mailPruneIndex from './migrations/011-mail-prune-index';

// Listed explicitly rather than globbed, so the same list runs from TypeScript and from dist/.
const MIGRATIONS = [createUsersAndRefreshTokens, rotationMarksParent, sessions, roles, notes, loginInOneStatement, pruneAndAdminIndexes, notifySessionState, signingKeys, mailAndAccountTokens, mailPruneIndex];

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

/**
 * Applies every pending migration; safe to call on each start, also from several
 * processes starting at once on one fresh database: the whole run is one locked
 * transaction (models/exclusive.ts), so one process migrates while the others
 * wait, and each of them then reads what is still pending (nothing) under the lock.
 *
 * So a migration runs inside a transaction on both dialects: a failed one leaves
 * nothing behind. A migration must therefore not open a transaction of its own
 * (on SQLite Sequelize would open another connection, which waits for this one's
 * lock), nor use statements PostgreSQL refuses in a transaction (CREATE INDEX
 * CONCURRENTLY) or SQLite ignores there (PRAGMA foreign_keys): such a change runs
 * apart. (Sequelize's own transactions would need CLS to reach the queries inside
 * migrations, hence the lock's own connection.)
 */
export function migrate(sequelize: Sequelize): Promise<string[]> {
  return exclusively(sequelize, MIGRATION_LOCK_KEY, MIGRATION_QUERY_TIMEOUT_MS, async (locked) => {
    const umzug = new Umzug({
      migrations: MIGRATIONS.map((m) => ({ name: m.name, up: m.up, down: m.down })),
      context: locked.getQueryInterface(),
      storage: new SequelizeStorage({ sequelize: locked, tableName: 'sequelize_meta' }),
      logger: undefined,
    });
    const applied = await umzug.up();
    return applied.map((m) => m.name);
  });
}
