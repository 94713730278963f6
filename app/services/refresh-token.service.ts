import { createHash, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import type { Config } from '../../config';
import type { Database, RefreshTokenRow } from '../../models';
import { insertRefreshToken, insertSuccessorIfLive } from '../../models/refresh-token.queries';
import type { Clock } from '../clock';
import { invalidRefreshToken } from '../errors';

export interface IssuedRefreshToken {
  token: string;
  userId: string;
  expiresAt: Date;
}

export interface RefreshTokenService {
  /** Starts a new chain (a login). */
  issue(userId: string): Promise<IssuedRefreshToken>;
  /** Exchanges a refresh token for its successor; throws 401 invalid_grant errors. */
  rotate(token: string): Promise<IssuedRefreshToken>;
  /** Revokes the chain the token belongs to; when `userId` is given, only if it is theirs. */
  revokeChainOf(token: string, userId?: string): Promise<boolean>;
  revokeAllOf(userId: string): Promise<number>;
}

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Refresh tokens are 256 random bits, stored only as SHA-256 (a fast hash is
 * enough for a value with that much entropy; argon2 is for low-entropy passwords).
 *
 * Rotation takes no transaction and cannot fork a chain: one conditional statement
 * inserts the successor only while the presented token is unrotated (a trigger marks
 * it rotated in the same statement), so exactly one request wins. The successor is not random
 * but HMAC(key, presented token), so a request that lost the race inside the reuse
 * grace interval can hand out the very same successor without the server ever
 * storing a raw token: several browser tabs refreshing at once all end up holding
 * the one live token. Past the interval a replay is theft and revokes the chain.
 */
export function createRefreshTokenService(config: Readonly<Config>, db: Database, clock: Clock): RefreshTokenService {
  const { RefreshToken } = db;
  const successorKey = Buffer.from(hkdfSync('sha256', config.jwt.secret, Buffer.alloc(0), 'refresh-token-successor', 32));
  const successorOf = (token: string) => createHmac('sha256', successorKey).update(token).digest('base64url');
  const ttlMs = config.refreshTokenTtl * 1000;
  const graceMs = config.refreshReuseInterval * 1000;

  async function insertSuccessor(parent: RefreshTokenRow, token: string, now: Date): Promise<IssuedRefreshToken> {
    const { id: parentId, userId, chainId } = parent;
    const expiresAt = new Date(now.getTime() + ttlMs);
    try {
      await insertRefreshToken(db, { id: randomUUID(), userId, chainId, parentId, tokenHash: sha256(token), expiresAt, createdAt: now });
      return { token, userId, expiresAt };
    } catch (error) {
      if (!(error instanceof UniqueConstraintError)) throw error;
      // A concurrent duplicate inside the grace interval inserted it first: same token, same row.
      const row = await RefreshToken.findOne({ where: { tokenHash: sha256(token) }, rejectOnEmpty: true });
      return { token, userId: row.userId, expiresAt: row.expiresAt };
    }
  }

  async function revokeChain(chainId: string, now: Date): Promise<void> {
    await RefreshToken.update({ revokedAt: now }, { where: { chainId, revokedAt: null } });
  }

  /** A rotated token presented again: inside the grace interval its one successor, past it theft. */
  async function replay(row: RefreshTokenRow, rotatedAt: Date, successor: string, now: Date): Promise<IssuedRefreshToken> {
    if (graceMs === 0 || now.getTime() - rotatedAt.getTime() > graceMs) {
      await revokeChain(row.chainId, now);
      throw invalidRefreshToken('refresh_reused', 'This refresh token was already used; the session has been revoked. Log in again.');
    }
    const existing = await RefreshToken.findOne({ where: { tokenHash: sha256(successor) } });
    if (existing?.revokedAt) throw invalidRefreshToken('token_revoked', 'This session has been revoked. Log in again.');
    if (existing) return { token: successor, userId: existing.userId, expiresAt: existing.expiresAt };
    return insertSuccessor(row, successor, now);
  }

  return {
    async issue(userId) {
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + ttlMs);
      await insertRefreshToken(db, { id: randomUUID(), userId, chainId: randomUUID(), parentId: null, tokenHash: sha256(token), expiresAt, createdAt: now });
      return { token, userId, expiresAt };
    },

    async rotate(token) {
      const hash = sha256(token);
      const now = clock.now();
      const successor = successorOf(token);
      // The usual case, a live token presented once: one statement inserts its successor and marks it rotated.
      const expiresAt = new Date(now.getTime() + ttlMs);
      try {
        const rotated = await insertSuccessorIfLive(db, hash, { id: randomUUID(), tokenHash: sha256(successor), expiresAt, createdAt: now });
        if (rotated) return { token: successor, userId: rotated.userId, expiresAt };
      } catch (error) {
        // PostgreSQL: a concurrent rotation of this token inserted the same successor first; the replay path below answers.
        if (!(error instanceof UniqueConstraintError)) throw error;
      }

      // Otherwise say why: unknown, revoked, expired, or rotated already (a replay). A row neither
      // revoked nor rotated failed the statement's `expires_at > now` with this same `now`: expired.
      const row = await RefreshToken.findOne({ where: { tokenHash: hash } });
      if (!row) throw invalidRefreshToken('token_invalid', 'The refresh token is not valid.');
      if (row.revokedAt) throw invalidRefreshToken('token_revoked', 'This session has been revoked. Log in again.');
      if (row.expiresAt.getTime() <= now.getTime() || !row.rotatedAt) {
        throw invalidRefreshToken('token_expired', 'The refresh token has expired. Log in again.');
      }
      return replay(row, row.rotatedAt, successor, now);
    },

    async revokeChainOf(token, userId) {
      const row = await RefreshToken.findOne({ where: { tokenHash: sha256(token) } });
      if (!row || (userId !== undefined && row.userId !== userId)) return false;
      await revokeChain(row.chainId, clock.now());
      return true;
    },

    async revokeAllOf(userId) {
      const [count] = await RefreshToken.update(
        { revokedAt: clock.now() },
        { where: { userId, revokedAt: null } },
      );
      return count;
    },
  };
}
