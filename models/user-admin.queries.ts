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

/** A user as the admin listing reads it: every column but the hash and the session version. */
export interface ListedUser {
  id: string;
  username: string;
  usernameKey: string;
  email: string | null;
  role: string;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserListQuery {
  /** Rows to return at most. */
  limit: number;
  /** Only users whose username_key sorts after this one (keyset pagination); null: from the start. */
  afterKey: string | null;
  /** Only users whose username_key starts with this (already folded like usernameKey); null: everyone. */
  keyPrefix: string | null;
}

// SQLite hands raw dates back as text ("2026-11-29 23:45:00.123 +00:00"), PostgreSQL as Date.
const asDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/**
 * LIKE's wildcards and the escape character, each made to match only itself. "!" is the
 * escape character rather than a backslash, whose meaning in string literals differs
 * between SQL dialects (and Sequelize's replacements).
 */
const likeLiteral = (text: string): string => text.replace(/[!%_]/g, (char) => `!${char}`);

/**
 * One page of users in username_key order, for the admin listing. username_key is
 * unique, so it alone orders users totally and a page boundary is one key: a user
 * created or removed while someone pages through never makes another repeat or go
 * missing. The order is the database's on that column (its unique index serves it).
 */
export async function listUsers(db: Database, query: UserListQuery): Promise<ListedUser[]> {
  const where: string[] = [];
  if (query.afterKey !== null) where.push('username_key > :afterKey');
  if (query.keyPrefix !== null) where.push("username_key LIKE :pattern ESCAPE '!'");
  const rows = await db.sequelize.query<Omit<ListedUser, 'disabledAt' | 'createdAt' | 'updatedAt'> & Record<'disabledAt' | 'createdAt' | 'updatedAt', Date | string | null>>(
    `SELECT id, username, username_key AS "usernameKey", email, role,
        disabled_at AS "disabledAt", created_at AS "createdAt", updated_at AS "updatedAt"
      FROM users ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY username_key LIMIT :limit`,
    {
      replacements: { afterKey: query.afterKey, pattern: `${likeLiteral(query.keyPrefix ?? '')}%`, limit: query.limit },
      type: QueryTypes.SELECT,
    },
  );
  return rows.map((row) => ({
    ...row,
    disabledAt: row.disabledAt === null ? null : asDate(row.disabledAt),
    createdAt: asDate(row.createdAt as Date | string),
    updatedAt: asDate(row.updatedAt as Date | string),
  }));
}
