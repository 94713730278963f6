import { QueryTypes } from 'sequelize';
import type { Database } from '.';
import type { TokenPurpose } from './account-token.queries';

/** Who a reset link may go to: the enabled account whose VERIFIED address has this lower-cased form. */
export async function findResetRecipient(db: Database, emailKey: string): Promise<{ id: string; username: string; email: string } | null> {
  const rows = await db.sequelize.query<{ id: string; username: string; email: string }>(
    `SELECT id, username, email FROM users
      WHERE email_key = :emailKey AND email_verified_at IS NOT NULL AND disabled_at IS NULL`,
    { replacements: { emailKey }, type: QueryTypes.SELECT },
  );
  return rows[0] ?? null;
}

/**
 * The user and address of a token that could be used now (of `purpose`, unused,
 * unrevoked, unexpired), without using it: what a reset checks before paying for
 * the new password's hash. consumeAccountToken still decides who wins.
 */
export async function findLiveAccountToken(db: Database, hash: string, purpose: TokenPurpose, now: Date): Promise<{ userId: string; email: string } | null> {
  const rows = await db.sequelize.query<{ userId: string; email: string }>(
    `SELECT user_id AS "userId", email FROM mail_outbox
      WHERE token_hash = :hash AND purpose = :purpose AND used_at IS NULL AND revoked_at IS NULL AND expires_at > :now`,
    { replacements: { hash, purpose, now }, type: QueryTypes.SELECT },
  );
  return rows[0] ?? null;
}

/**
 * Revokes every unused token of `purpose` of the user but the newest (by id).
 * Run after writing a new one, by each of several requests at once: whichever
 * runs last sees every token already written (each request's own is committed
 * before it runs) and leaves only the newest. "Older than my own" would not do on
 * PostgreSQL: ids are taken before commit, so a request could miss a token with a
 * lower id still being written, which then outlived both.
 */
export async function revokeAllButNewestToken(db: Database, userId: string, purpose: TokenPurpose, now: Date): Promise<number> {
  const [, affected] = await db.sequelize.query(
    `UPDATE mail_outbox SET revoked_at = :now
      WHERE user_id = :userId AND purpose = :purpose AND token_hash IS NOT NULL AND used_at IS NULL AND revoked_at IS NULL
        AND id < (SELECT MAX(id) FROM mail_outbox WHERE user_id = :userId AND purpose = :purpose AND token_hash IS NOT NULL)`,
    { replacements: { userId, purpose, now }, type: QueryTypes.UPDATE },
  );
  return Number(affected);
}
