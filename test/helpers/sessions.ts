import { QueryTypes } from 'sequelize';
import type { Database, SessionRow } from '../../models';
import { sha256 } from './cookies';

/** The session (refresh-token chain) a refresh token belongs to, or null. */
export async function sessionOf(db: Database, token: string): Promise<SessionRow | null> {
  const row = await db.RefreshToken.findOne({ where: { tokenHash: sha256(token) } });
  return row ? db.Session.findByPk(row.chainId) : null;
}

/** How many refresh tokens of the user could be exchanged now: unrotated, in an unrevoked session of the user's current version. */
export async function liveTokenCount(db: Database, userId: string): Promise<number> {
  const [{ n }] = await db.sequelize.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM refresh_tokens t
      JOIN sessions s ON s.id = t.chain_id JOIN users u ON u.id = s.user_id AND u.session_version = s.session_version
      WHERE s.user_id = :userId AND t.rotated_at IS NULL AND s.revoked_at IS NULL`,
    { replacements: { userId }, type: QueryTypes.SELECT },
  );
  return Number(n);
}

/** Whether a refresh token was used: its own rotation and its session's revocation (null for an unknown token). */
export async function tokenUsage(db: Database, token: string): Promise<{ rotatedAt: Date | null; revokedAt: Date | null } | null> {
  const row = await db.RefreshToken.findOne({ where: { tokenHash: sha256(token) } });
  if (!row) return null;
  const session = await db.Session.findByPk(row.chainId);
  return { rotatedAt: row.rotatedAt, revokedAt: session ? session.revokedAt : new Date(0) };
}
