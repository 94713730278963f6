import { randomBytes, randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import type { Database } from '../../models';

const DAY = 86_400_000;

/**
 * How a chain written by insertChains ended, measured back from `now`:
 * - revoked: logged out a day ago (its tokens would still be unexpired);
 * - expired: its newest token expired ten days ago;
 * - outlived: begun 100 days ago, past a 90-day SESSION_MAX_LIFETIME (its newest token still unexpired);
 * - live: begun an hour ago, newest token unexpired, never revoked.
 */
export type ChainKind = 'revoked' | 'expired' | 'outlived' | 'live';

const SHAPES: Record<ChainKind, { begunDaysAgo: number; newestExpiresInDays: number; revoked: boolean }> = {
  revoked: { begunDaysAgo: 2, newestExpiresInDays: 28, revoked: true },
  expired: { begunDaysAgo: 40, newestExpiresInDays: -10, revoked: false },
  outlived: { begunDaysAgo: 100, newestExpiresInDays: 10, revoked: false },
  live: { begunDaysAgo: 1 / 24, newestExpiresInDays: 30, revoked: false },
};

/**
 * Writes `count` chains of `tokensPerChain` tokens each for `userId` straight into
 * the tables, many rows per statement (fast enough for tens of thousands of rows),
 * shaped like what logins and rotations leave behind: each token the parent of the
 * next, every one but the newest rotated. Returns the chain (session) ids.
 */
export async function insertChains(db: Database, userId: string, kind: ChainKind, count: number, tokensPerChain: number, now: Date): Promise<string[]> {
  const shape = SHAPES[kind];
  const at = (days: number) => new Date(now.getTime() + days * DAY);
  const sessions: Record<string, unknown>[] = [];
  const tokens: Record<string, unknown>[] = [];
  for (let c = 0; c < count; c += 1) {
    const chainId = randomUUID();
    const createdAt = at(-shape.begunDaysAgo);
    sessions.push({ id: chainId, user_id: userId, session_version: 0, created_at: createdAt, revoked_at: shape.revoked ? at(-1) : null });
    let parentId: string | null = null;
    for (let t = 0; t < tokensPerChain; t += 1) {
      const id = randomUUID();
      const newest = t === tokensPerChain - 1;
      // Tokens a minute apart, the newest's expiry as the shape says and each older one's a minute earlier.
      const issued = new Date(createdAt.getTime() + t * 60_000);
      const expiresAt = new Date(at(shape.newestExpiresInDays).getTime() - (tokensPerChain - 1 - t) * 60_000);
      tokens.push({
        id,
        user_id: userId,
        chain_id: chainId,
        parent_id: parentId,
        token_hash: randomBytes(32).toString('hex'),
        expires_at: expiresAt,
        rotated_at: newest ? null : new Date(issued.getTime() + 60_000),
        created_at: issued,
      });
      parentId = id;
    }
  }
  await bulkInsert(db, 'sessions', sessions);
  await bulkInsert(db, 'refresh_tokens', tokens);
  return sessions.map((s) => s.id as string);
}

/** Inserted in slices: SQLite allows at most 32766 bound values per statement. */
async function bulkInsert(db: Database, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const qi = db.sequelize.getQueryInterface();
  for (let i = 0; i < rows.length; i += 2000) await qi.bulkInsert(table, rows.slice(i, i + 2000), { logging: false });
}

/** How many rows the two tables hold now. */
export async function tableCounts(db: Database): Promise<{ tokens: number; sessions: number }> {
  const [row] = await db.sequelize.query<{ tokens: number | string; sessions: number | string }>(
    'SELECT (SELECT COUNT(*) FROM refresh_tokens) AS tokens, (SELECT COUNT(*) FROM sessions) AS sessions',
    { type: QueryTypes.SELECT, logging: false },
  );
  return { tokens: Number(row.tokens), sessions: Number(row.sessions) };
}

/** What is left of one chain: its tokens and whether its session row is there. */
export async function chainRows(db: Database, chainId: string): Promise<{ tokens: number; session: boolean }> {
  const [row] = await db.sequelize.query<{ tokens: number | string; sessions: number | string }>(
    'SELECT (SELECT COUNT(*) FROM refresh_tokens WHERE chain_id = :chainId) AS tokens, (SELECT COUNT(*) FROM sessions WHERE id = :chainId) AS sessions',
    { replacements: { chainId }, type: QueryTypes.SELECT, logging: false },
  );
  return { tokens: Number(row.tokens), session: Number(row.sessions) === 1 };
}
