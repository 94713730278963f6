import { QueryTypes } from 'sequelize';
import type { Database } from '.';

/** What a login needs of a user, and nothing more (never a model instance that could be serialized whole). */
export interface UserCredentials {
  id: string;
  username: string;
  passwordHash: string;
  sessionVersion: number;
  role: string;
  disabled: boolean;
}

/**
 * The login lookup by username key as one plain SELECT. Why not User.findOne: on
 * SQLite Sequelize sends a PRAGMA table_info before every model SELECT and builds
 * an instance, together costlier than the query, on the path whose every
 * millisecond is taken from password hashing (docs/performance.md). A read: no
 * hook (the session cache's invalidation) is skipped.
 */
export async function findCredentials(db: Database, usernameKey: string): Promise<UserCredentials | null> {
  const rows = await db.sequelize.query<Omit<UserCredentials, 'disabled'> & { disabledAt: unknown }>(
    `SELECT id, username, password_hash AS "passwordHash", session_version AS "sessionVersion", role, disabled_at AS "disabledAt"
      FROM users WHERE username_key = :usernameKey LIMIT 1`,
    { replacements: { usernameKey }, type: QueryTypes.SELECT },
  );
  if (!rows[0]) return null;
  const { disabledAt, ...user } = rows[0];
  return { ...user, disabled: disabledAt !== null };
}
