import type { QueryInterface } from 'sequelize';

export const name = '007-prune-and-admin-indexes';

/**
 * The indexes the prune (models/prune.queries.ts) and the admin's last-admin guard
 * (models/user-admin.queries.ts) read through, so neither reads a table whole
 * (test/integration/query-plans.test.ts). Three are partial: they hold only the rows
 * their query looks for, so the hot paths mostly do not pay to keep them.
 * - sessions_revoked_at: revoked sessions only; a live session enters it once, when revoked.
 * - sessions_created_at: every session, by login time (SESSION_MAX_LIFETIME).
 * - refresh_tokens_unrotated_expires_at: each chain's newest token, by expiry; a
 *   rotation moves its chain's one entry (the parent leaves, the successor enters).
 * - users_enabled_admins: the enabled admins, which the guard counts (and on
 *   PostgreSQL locks) on every demotion or disabling of a user.
 * Plain CREATE INDEX, same text on both dialects: migrations run in a transaction
 * (models/migrate.ts), where PostgreSQL refuses CONCURRENTLY; on a large existing
 * table, build them beforehand with CREATE INDEX CONCURRENTLY IF NOT EXISTS under
 * these names, and this migration finds them there.
 */
const INDEXES = [
  'CREATE INDEX IF NOT EXISTS sessions_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS sessions_created_at ON sessions (created_at)',
  'CREATE INDEX IF NOT EXISTS refresh_tokens_unrotated_expires_at ON refresh_tokens (expires_at) WHERE rotated_at IS NULL',
  "CREATE INDEX IF NOT EXISTS users_enabled_admins ON users (id) WHERE role = 'admin' AND disabled_at IS NULL",
];

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const statement of INDEXES) await qi.sequelize.query(statement);
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  for (const index of ['users_enabled_admins', 'refresh_tokens_unrotated_expires_at', 'sessions_created_at', 'sessions_revoked_at']) {
    await qi.sequelize.query(`DROP INDEX IF EXISTS ${index}`);
  }
}
