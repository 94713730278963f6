import { QueryTypes } from 'sequelize';
import type { Database } from '.';
import type { RefreshTokenAttributes } from './refresh-token.model';

/**
 * The writes on the hot paths of POST /token and POST /token/refresh as plain
 * SQL, which SQLite (3.35+) and PostgreSQL both run. Why not the model: on SQLite,
 * Sequelize sends a PRAGMA table_info before every SELECT of a model (a second trip
 * through the thread pool and the one connection), and Model.create builds,
 * validates and reloads an instance; together more than the query itself
 * (README, Performance). Dates go in as replacements, so Sequelize formats them
 * as the model stores them; a duplicate token_hash still fails as Sequelize's
 * UniqueConstraintError. No hooks are skipped: refresh tokens have none.
 */

export type NewRefreshToken = Pick<RefreshTokenAttributes, 'id' | 'userId' | 'chainId' | 'parentId' | 'tokenHash' | 'expiresAt' | 'createdAt'>;

export async function insertRefreshToken(db: Database, row: NewRefreshToken): Promise<void> {
  await db.sequelize.query(
    `INSERT INTO refresh_tokens (id, user_id, chain_id, parent_id, token_hash, expires_at, created_at)
      VALUES (:id, :userId, :chainId, :parentId, :tokenHash, :expiresAt, :createdAt)`,
    { replacements: { ...row }, type: QueryTypes.INSERT },
  );
}

/**
 * Rotates a live refresh token in one statement: the successor is inserted only if
 * the presented token is live (not rotated, not revoked, not expired), and the
 * trigger of migration 002 marks the presented token rotated within the same
 * statement. One statement is one commit: one fsync under synchronous=FULL instead
 * of two. Of concurrent rotations of one token exactly one inserts: SQLite runs
 * statements one at a time, and on PostgreSQL the others collide on the successor's
 * token_hash (it is derived from the presented token) and fail as
 * UniqueConstraintError. Null means "not a live token"; the caller reads the row to
 * say why.
 */
export async function insertSuccessorIfLive(db: Database, presentedHash: string, successor: Omit<NewRefreshToken, 'userId' | 'chainId' | 'parentId'>): Promise<Pick<RefreshTokenAttributes, 'userId'> | null> {
  const rows = await db.sequelize.query<Pick<RefreshTokenAttributes, 'userId'>>(
    // Written WITH … INSERT: a statement that starts with INSERT is run by Sequelize's sqlite dialect without reading rows back.
    `WITH presented AS (
        SELECT id, user_id, chain_id FROM refresh_tokens
        WHERE token_hash = :presentedHash AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > :createdAt)
      INSERT INTO refresh_tokens (id, user_id, chain_id, parent_id, token_hash, expires_at, created_at)
        SELECT :id, user_id, chain_id, id, :tokenHash, :expiresAt, :createdAt FROM presented
      RETURNING user_id AS "userId"`,
    { replacements: { ...successor, presentedHash }, type: QueryTypes.SELECT },
  );
  return rows[0] ?? null;
}
