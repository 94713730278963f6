import { QueryTypes } from 'sequelize';
import type { Database } from '.';

/**
 * The statements that delete dead refresh-token chains, as plain SQL that SQLite
 * (3.35+) and PostgreSQL (11+) both run (app/services/token-prune.service.ts drives
 * them). Each is its own autocommit and touches a bounded number of rows, so none
 * holds a lock for long; each finds its rows through an index (migration 007, and
 * test/integration/query-plans.test.ts, which fails on a table scan).
 *
 * A chain is found dead by what its session row or its newest token says, and that
 * row goes last: a run cut short (a crash, a stop) leaves every chain it had not
 * finished still findable by the next run.
 */

/** Why a chain can no longer matter; each is found through an index of its own. */
export type DeadChainKind = 'revoked' | 'outlived' | 'expired';

const DEAD_CHAINS: Record<DeadChainKind, string> = {
  // Revoked before the cutoff (sessions_revoked_at, partial: only revoked sessions are in it).
  revoked: 'SELECT id FROM sessions WHERE revoked_at < :cutoff LIMIT :limit',
  // Begun before the cutoff (sessions_created_at).
  outlived: 'SELECT id FROM sessions WHERE created_at < :cutoff LIMIT :limit',
  // The newest token (the one not rotated: a chain has exactly one) expired before the cutoff
  // (refresh_tokens_unrotated_expires_at, partial: only chain heads are in it).
  expired: 'SELECT chain_id AS id FROM refresh_tokens WHERE rotated_at IS NULL AND expires_at < :cutoff LIMIT :limit',
};

/** Up to `limit` chain (session) ids of one kind of dead chain, whose end (revocation, lifetime, expiry) came before the cutoff. */
export async function findDeadChains(db: Database, kind: DeadChainKind, cutoff: Date, limit: number): Promise<string[]> {
  const rows = await db.sequelize.query<{ id: string }>(DEAD_CHAINS[kind], { replacements: { cutoff, limit }, type: QueryTypes.SELECT });
  return rows.map((row) => row.id);
}

/**
 * Deletes up to `limit` rotated tokens of these chains; returns how many. Rotated
 * first and the newest token last, so an `expired` chain stays findable by its
 * newest token until nothing else of it is left.
 */
export async function deleteRotatedTokens(db: Database, chainIds: string[], limit: number): Promise<number> {
  return db.sequelize.query(
    `DELETE FROM refresh_tokens WHERE id IN (
      SELECT id FROM refresh_tokens WHERE chain_id IN (:chainIds) AND rotated_at IS NOT NULL LIMIT :limit)`,
    { replacements: { chainIds, limit }, type: QueryTypes.BULKDELETE },
  );
}

/** Deletes what is left of these chains (their newest tokens, once the rotated ones are gone: one row a chain); returns how many. */
export async function deleteRemainingTokens(db: Database, chainIds: string[]): Promise<number> {
  return db.sequelize.query('DELETE FROM refresh_tokens WHERE chain_id IN (:chainIds)', { replacements: { chainIds }, type: QueryTypes.BULKDELETE });
}

/** Deletes the session rows of these chains that have no token left; returns how many. */
export async function deleteEmptySessions(db: Database, chainIds: string[]): Promise<number> {
  return db.sequelize.query(
    `DELETE FROM sessions WHERE id IN (:chainIds)
      AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.chain_id = sessions.id)`,
    { replacements: { chainIds }, type: QueryTypes.BULKDELETE },
  );
}

/**
 * Deletes up to `limit` mails that were sent or given up before `cutoff` and whose
 * token, if they carried one, can no longer be used (used, revoked or expired at
 * `now`); returns how many. Found by age through mail_outbox_done_created_at (migration 011).
 */
export async function deleteDoneMail(db: Database, cutoff: Date, now: Date, limit: number): Promise<number> {
  return db.sequelize.query(
    `DELETE FROM mail_outbox WHERE id IN (
      SELECT id FROM mail_outbox WHERE state <> 'pending' AND created_at < :cutoff
        AND (token_hash IS NULL OR used_at IS NOT NULL OR revoked_at IS NOT NULL OR expires_at <= :now)
      LIMIT :limit)`,
    { replacements: { cutoff, now, limit }, type: QueryTypes.BULKDELETE },
  );
}
