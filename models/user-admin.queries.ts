import { QueryTypes } from 'sequelize';
import type { Database } from '.';

export interface AccountChange {
  role?: string;
  /** true: disable (and end every session); false: enable. */
  disabled?: boolean;
}

/**
 * Applies an admin's change to one user in one statement, refusing (no row changed)
 * when it would leave no enabled admin. Disabling also moves the session version on,
 * which ends every session and access token of the user at once.
 *
 * Two admins demoting each other at the same moment must not both win. SQLite runs
 * one statement at a time. On PostgreSQL (READ COMMITTED) each statement first locks
 * every enabled admin row, in id order (no deadlock between two such statements):
 * the second waits for the first, then re-reads those rows and counts without the
 * admin the first one demoted. Returns whether the user's row changed.
 */
export async function applyAccountChange(db: Database, userId: string, change: AccountChange, now: Date): Promise<boolean> {
  const postgres = db.sequelize.getDialect() === 'postgres';
  const sets = ['updated_at = :now'];
  if (change.role !== undefined) sets.push('role = :role');
  if (change.disabled === true) sets.push('disabled_at = COALESCE(disabled_at, :now)', 'session_version = session_version + 1');
  if (change.disabled === false) sets.push('disabled_at = NULL');
  const removesAdmin = (change.role !== undefined && change.role !== 'admin') || change.disabled === true;
  const admins = postgres ? 'admins' : "(SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL)";
  const lastAdminGuard = removesAdmin
    ? ` AND (role <> 'admin' OR disabled_at IS NOT NULL OR (SELECT COUNT(*) FROM ${admins} AS others WHERE others.id <> :userId) > 0)`
    : '';
  const lock = postgres && removesAdmin ? "WITH admins AS (SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL ORDER BY id FOR UPDATE) " : '';
  const [, affected] = await db.sequelize.query(`${lock}UPDATE users SET ${sets.join(', ')} WHERE id = :userId${lastAdminGuard}`, {
    replacements: { userId, now, role: change.role ?? null },
    type: QueryTypes.UPDATE,
  });
  return Number(affected) > 0;
}
