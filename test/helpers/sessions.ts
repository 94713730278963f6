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
