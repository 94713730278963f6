import { QueryTypes } from 'sequelize';
import type { Database } from '.';

/** What a mailed token is for; a token of one purpose is worth nothing for another. */
export type TokenPurpose = 'password_reset' | 'email_verification';

/**
 * Uses a token: marks it used if it is of `purpose`, unused, unrevoked and
 * unexpired at `now`, in one statement, and returns its user and address. Of two
 * requests presenting one token at once, exactly one gets a row back.
 */
export async function consumeAccountToken(db: Database, hash: string, purpose: TokenPurpose, now: Date): Promise<{ userId: string; email: string } | null> {
  const rows = await db.sequelize.query<{ userId: string; email: string }>(
    // Written WITH … UPDATE: a statement that starts with UPDATE is run by Sequelize's sqlite dialect without reading rows back.
    `WITH presented AS (SELECT id FROM mail_outbox WHERE token_hash = :hash)
     UPDATE mail_outbox SET used_at = :now
      WHERE id = (SELECT id FROM presented) AND purpose = :purpose
        AND used_at IS NULL AND revoked_at IS NULL AND expires_at > :now
      RETURNING user_id AS "userId", email`,
    { replacements: { hash, purpose, now }, type: QueryTypes.SELECT },
  );
  return rows[0] ?? null;
}

/**
 * Revokes the user's unused tokens of `purpose`; with `olderThan` (a mail id), only
 * those written before it, so that of several requests at once the newest token
 * is the one left. Returns how many were revoked.
 */
export async function revokeAccountTokens(db: Database, userId: string, purpose: TokenPurpose, now: Date, olderThan?: number): Promise<number> {
  const [, affected] = await db.sequelize.query(
    `UPDATE mail_outbox SET revoked_at = :now
      WHERE user_id = :userId AND purpose = :purpose AND token_hash IS NOT NULL AND used_at IS NULL AND revoked_at IS NULL
        ${olderThan === undefined ? '' : 'AND id < :olderThan'}`,
    { replacements: { userId, purpose, now, olderThan: olderThan ?? null }, type: QueryTypes.UPDATE },
  );
  return Number(affected);
}
