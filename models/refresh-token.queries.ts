import { QueryTypes } from 'sequelize';
import type { Database } from '.';
import type { RefreshTokenAttributes } from './refresh-token.model';

/**
 * The two writes on the hot paths of POST /token and POST /token/refresh as plain
 * SQL, which SQLite (3.35+) and PostgreSQL both run. Why not the model: on SQLite,
 * Sequelize sends a PRAGMA table_info before every SELECT of a model (a second trip
 * through the thread pool and the one connection), and Model.create builds,
 * validates and reloads an instance; together more than the query itself
 * (README, Performance). Dates go in as replacements, so Sequelize formats them
 * as the model stores them; a duplicate token_hash still fails as Sequelize's
 * UniqueConstraintError. No hooks are skipped: refresh tokens have none.
 */

export type NewRefreshToken = Pick<RefreshTokenAttributes, 'id' | 'userId' | 'chainId' | 'parentId' | 'tokenHash' | 'expiresAt' | 'createdAt'>;

/** The parts of a claimed refresh token its successor needs. */
export type ClaimedRefreshToken = Pick<RefreshTokenAttributes, 'id' | 'userId' | 'chainId'>;

export async function insertRefreshToken(db: Database, row: NewRefreshToken): Promise<void> {
  await db.sequelize.query(
    `INSERT INTO refresh_tokens (id, user_id, chain_id, parent_id, token_hash, expires_at, created_at)
      VALUES (:id, :userId, :chainId, :parentId, :tokenHash, :expiresAt, :createdAt)`,
    { replacements: { ...row }, type: QueryTypes.INSERT },
  );
}

/**
 * Marks a live refresh token rotated and returns it, in one conditional
 * UPDATE … RETURNING: only a token not yet rotated, not revoked and not expired
 * matches, so of concurrent rotations of one token exactly one gets the row. Null
 * means "not a live token"; the caller then reads the row to say why.
 */
export async function claimForRotation(db: Database, tokenHash: string, now: Date): Promise<ClaimedRefreshToken | null> {
  const rows = await db.sequelize.query<ClaimedRefreshToken>(
    `UPDATE refresh_tokens SET rotated_at = :now
      WHERE token_hash = :tokenHash AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > :now
      RETURNING id, user_id AS "userId", chain_id AS "chainId"`,
    { replacements: { now, tokenHash }, type: QueryTypes.SELECT },
  );
  return rows[0] ?? null;
}
