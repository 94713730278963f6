import { QueryTypes } from 'sequelize';
import type { Database } from '.';
import type { RefreshTokenAttributes } from './refresh-token.model';

/**
 * The statements of login, rotation and revocation as plain SQL, which SQLite
 * (3.35+) and PostgreSQL both run. Why not the models: on SQLite, Sequelize sends a
 * PRAGMA table_info before every SELECT of a model (a second trip through the thread
 * pool and the one connection), and Model.create builds, validates and reloads an
 * instance; together more than the query itself (docs/performance.md). Dates go in
 * as replacements, so Sequelize formats them as the models store them; a duplicate
 * token_hash still fails as Sequelize's UniqueConstraintError. No hooks are skipped:
 * sessions and refresh tokens have none.
 *
 * Concurrency: rotation and every revocation meet on the session row. SQLite runs
 * one statement at a time. On PostgreSQL (READ COMMITTED) rotation share-locks the
 * session row and revocation updates it, so whichever commits second sees the
 * first: a revocation waits for a rotation in flight and then ends its successor
 * too; a rotation that waited for a revocation re-reads the row and inserts nothing.
 */

export type NewRefreshToken = Pick<RefreshTokenAttributes, 'id' | 'userId' | 'chainId' | 'parentId' | 'tokenHash' | 'expiresAt' | 'createdAt'>;

/** A session as rotation and its refusals need it (dates as Date on both dialects). */
export interface TokenState {
  chainId: string;
  userId: string | null;
  rotatedAt: Date | null;
  expiresAt: Date;
  /** The user's session version when the session began; null when the session is gone. */
  sessionVersion: number | null;
  /** The user's session version now; null when the user is gone. */
  userVersion: number | null;
  userRole: string | null;
  userDisabled: boolean;
  sessionCreatedAt: Date | null;
  revokedAt: Date | null;
}

export interface RotatedToken {
  userId: string;
  sessionVersion: number;
  /** The user's role as the rotation read it: the new access token carries it. */
  role: string;
  sessionCreatedAt: Date;
}

// SQLite hands raw dates back as text ("2026-11-29 23:45:00.123 +00:00"), PostgreSQL as Date.
const asDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const asNullableDate = (value: Date | string | null): Date | null => (value === null ? null : asDate(value));

/**
 * A login: the session row and its first token in one statement (the view and
 * trigger of migration 006), so one commit, and never a session without its token.
 */
export async function insertSession(db: Database, session: { id: string; userId: string; sessionVersion: number; createdAt: Date }, token: Pick<NewRefreshToken, 'id' | 'tokenHash' | 'expiresAt'>): Promise<void> {
  await db.sequelize.query(
    `INSERT INTO session_logins (session_id, user_id, session_version, token_id, token_hash, expires_at, created_at)
      VALUES (:sessionId, :userId, :sessionVersion, :tokenId, :tokenHash, :expiresAt, :createdAt)`,
    {
      replacements: { sessionId: session.id, userId: session.userId, sessionVersion: session.sessionVersion, createdAt: session.createdAt, tokenId: token.id, tokenHash: token.tokenHash, expiresAt: token.expiresAt },
      type: QueryTypes.INSERT,
    },
  );
}

/**
 * Rotates a live refresh token in one statement: the successor is inserted only if
 * the presented token is unrotated and unexpired, its session unrevoked, begun after
 * `oldestLogin`, still of the user's current session version, and the user not
 * disabled; the trigger of
 * migration 002 marks the presented token rotated within the same statement (one
 * statement, one commit: one fsync under synchronous=FULL). It returns the session
 * version it checked, which the new access token must carry: a password change or
 * logout-all committed after this statement moves the version on, and so refuses
 * that access token too. Of concurrent rotations of one token exactly one inserts:
 * SQLite runs statements one at a time, and on PostgreSQL the others collide on the
 * successor's token_hash (derived from the presented token) and fail as
 * UniqueConstraintError. Null means "not a live token"; the caller reads why.
 */
export async function insertSuccessorIfLive(
  db: Database,
  presentedHash: string,
  successor: Pick<NewRefreshToken, 'id' | 'tokenHash' | 'expiresAt' | 'createdAt'>,
  oldestLogin: Date,
): Promise<RotatedToken | null> {
  const lock = db.sequelize.getDialect() === 'postgres' ? 'FOR SHARE OF s' : '';
  const rows = await db.sequelize.query<{ userId: string; sessionVersion: number; role: string; sessionCreatedAt: Date | string }>(
    // Written WITH … INSERT: a statement that starts with INSERT is run by Sequelize's sqlite dialect without reading rows back.
    `WITH presented AS (
        SELECT t.id, t.chain_id, s.user_id FROM refresh_tokens t
          JOIN sessions s ON s.id = t.chain_id
          JOIN users u ON u.id = s.user_id AND u.session_version = s.session_version AND u.disabled_at IS NULL
        WHERE t.token_hash = :presentedHash AND t.rotated_at IS NULL AND t.expires_at > :createdAt
          AND s.revoked_at IS NULL AND s.created_at > :oldestLogin
        ${lock})
      INSERT INTO refresh_tokens (id, user_id, chain_id, parent_id, token_hash, expires_at, created_at)
        SELECT :id, user_id, chain_id, id, :tokenHash, :expiresAt, :createdAt FROM presented
      RETURNING user_id AS "userId",
        (SELECT session_version FROM sessions WHERE sessions.id = refresh_tokens.chain_id) AS "sessionVersion",
        (SELECT role FROM users WHERE users.id = refresh_tokens.user_id) AS "role",
        (SELECT created_at FROM sessions WHERE sessions.id = refresh_tokens.chain_id) AS "sessionCreatedAt"`,
    { replacements: { ...successor, presentedHash, oldestLogin }, type: QueryTypes.SELECT },
  );
  const row = rows[0];
  return row ? { userId: row.userId, sessionVersion: Number(row.sessionVersion), role: row.role, sessionCreatedAt: asDate(row.sessionCreatedAt) } : null;
}

/** A token with its session and its user's current version, in one read; null for an unknown token. */
export async function findTokenState(db: Database, tokenHash: string): Promise<TokenState | null> {
  const rows = await db.sequelize.query<Record<string, never>>(
    `SELECT t.chain_id AS "chainId", s.user_id AS "userId", t.rotated_at AS "rotatedAt", t.expires_at AS "expiresAt",
        s.session_version AS "sessionVersion", u.session_version AS "userVersion", u.role AS "userRole", u.disabled_at AS "userDisabledAt",
        s.created_at AS "sessionCreatedAt", s.revoked_at AS "revokedAt"
      FROM refresh_tokens t LEFT JOIN sessions s ON s.id = t.chain_id LEFT JOIN users u ON u.id = s.user_id
      WHERE t.token_hash = :tokenHash`,
    { replacements: { tokenHash }, type: QueryTypes.SELECT },
  );
  const row = rows[0] as Record<string, unknown> | undefined;
  if (!row) return null;
  return {
    chainId: row.chainId as string,
    userId: row.userId as string | null,
    rotatedAt: asNullableDate(row.rotatedAt as Date | string | null),
    expiresAt: asDate(row.expiresAt as Date | string),
    sessionVersion: row.sessionVersion === null ? null : Number(row.sessionVersion),
    userVersion: row.userVersion === null ? null : Number(row.userVersion),
    userRole: row.userRole as string | null,
    userDisabled: row.userDisabledAt !== null,
    sessionCreatedAt: asNullableDate(row.sessionCreatedAt as Date | string | null),
    revokedAt: asNullableDate(row.revokedAt as Date | string | null),
  };
}

/** Revokes one session; with `userId`, only if it is theirs. Returns whether a live session was revoked. */
export async function revokeSession(db: Database, chainId: string, now: Date, userId?: string): Promise<boolean> {
  const [, affected] = await db.sequelize.query(
    `UPDATE sessions SET revoked_at = :now WHERE id = :chainId AND revoked_at IS NULL${userId === undefined ? '' : ' AND user_id = :userId'}`,
    { replacements: { chainId, now, userId: userId ?? null }, type: QueryTypes.UPDATE },
  );
  return Number(affected) > 0;
}

/**
 * Revokes every session of a user that could still be used: unrevoked and begun
 * after `oldestLogin`. Rotated tokens are not touched, so the cost grows with the
 * user's live sessions, never with the rotations ever made.
 */
export async function revokeSessionsOf(db: Database, userId: string, now: Date, oldestLogin: Date): Promise<number> {
  const [, affected] = await db.sequelize.query(
    'UPDATE sessions SET revoked_at = :now WHERE user_id = :userId AND revoked_at IS NULL AND created_at > :oldestLogin',
    { replacements: { userId, now, oldestLogin }, type: QueryTypes.UPDATE },
  );
  return Number(affected);
}
