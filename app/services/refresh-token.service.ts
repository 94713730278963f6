import { createHash, createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { UniqueConstraintError } from 'sequelize';
import type { Config } from '../../config';
import type { Database } from '../../models';
import { findTokenState, insertSession, insertSuccessorIfLive, revokeSession, revokeSessionsOf, TokenState } from '../../models/refresh-token.queries';
import type { Clock } from '../clock';
import { RefreshTokenRefused } from './errors';
import { firstToken, namedSessionPart, sessionPart, successorToken } from './refresh-token-shape';

export interface IssuedRefreshToken {
  token: string;
  userId: string;
  /** The session version and role the access token issued beside this refresh token must carry. */
  sessionVersion: number;
  role: string;
  /** When this token stops working: its own expiry or the session's end, whichever comes first. */
  expiresAt: Date;
}

/** A refresh token that could be exchanged now: whose it is, and until when it can be (its expiry or its session's end). */
export interface LiveRefreshToken {
  userId: string;
  usableUntil: Date;
}

export interface RefreshTokenService {
  /** Starts a new session (a login) under the session version the credentials were read with. */
  issue(user: { id: string; sessionVersion: number; role: string }): Promise<IssuedRefreshToken>;
  /** Exchanges a refresh token for its successor; throws RefreshTokenRefused. */
  rotate(token: string): Promise<IssuedRefreshToken>;
  /**
   * The token if it is the live token of a live session (what rotate() exchanges as
   * a first use), or null: unknown, expired, rotated already (inside the reuse grace
   * interval too, where rotate() hands out its successor again: the token itself is
   * spent), or of a session that ended (revoked, a newer session version, a disabled
   * or deleted user, past SESSION_MAX_LIFETIME). Reads only: a rotated token revokes nothing here.
   */
  inspect(token: string): Promise<LiveRefreshToken | null>;
  /** Revokes the session the token belongs to; when `userId` is given, only if it is theirs. */
  revokeChainOf(token: string, userId?: string): Promise<boolean>;
  /** Revokes every session of the user that could still be used. */
  revokeAllOf(userId: string): Promise<number>;
}

const sha256 = (token: string): string => createHash('sha256').update(token).digest('hex');

const invalid = () => new RefreshTokenRefused('token_invalid', 'The refresh token is not valid.');
const revoked = () => new RefreshTokenRefused('token_revoked', 'This session has been revoked. Log in again.');
const expired = () => new RefreshTokenRefused('token_expired', 'The refresh token has expired. Log in again.');

/**
 * Refresh tokens are 256 random bits after the id of their session
 * (`<session>.<secret>`, app/services/refresh-token-shape.ts), stored only as SHA-256
 * (a fast hash is enough for a value with that much entropy; argon2 is for
 * low-entropy passwords).
 *
 * The tokens of one login form a chain; its session row (models/session.model.ts)
 * holds what ends it: revocation, the user's session version, the login time.
 * Rotation takes no transaction and cannot fork a chain or outrun a revocation: one
 * conditional statement inserts the successor only while the presented token and
 * its session are live (models/refresh-token.queries.ts). The successor's secret is
 * not random but HMAC(key, presented token), so a request that lost the race inside the
 * reuse grace interval can hand out the very same successor without the server ever
 * storing a raw token: several browser tabs refreshing at once all end up holding
 * the one live token. Past the interval a replay is theft and revokes the session.
 */
export function createRefreshTokenService(config: Readonly<Config>, db: Database, clock: Clock): RefreshTokenService {
  const successorKey = Buffer.from(hkdfSync('sha256', config.jwt.secret, Buffer.alloc(0), 'refresh-token-successor', 32));
  const successorSecret = (token: string) => createHmac('sha256', successorKey).update(token).digest('base64url');
  const ttlMs = config.refreshTokenTtl * 1000;
  const graceMs = config.refreshReuseInterval * 1000;
  const maxLifetimeMs = config.sessionMaxLifetime * 1000;

  /** Sessions begun before this are over (SESSION_MAX_LIFETIME; 0 means never). */
  const oldestLogin = (now: Date) => new Date(maxLifetimeMs === 0 ? 0 : now.getTime() - maxLifetimeMs);
  /** A token's expiry as the client should see it: never past its session's end. */
  const usableUntil = (tokenExpiresAt: Date, sessionCreatedAt: Date) =>
    maxLifetimeMs === 0 ? tokenExpiresAt : new Date(Math.min(tokenExpiresAt.getTime(), sessionCreatedAt.getTime() + maxLifetimeMs));

  /** Why a session cannot be refreshed now, or null when it can. */
  function sessionRefusal(state: TokenState, now: Date) {
    if (state.userDisabled) return new RefreshTokenRefused('account_disabled', 'This account is disabled.');
    if (state.sessionVersion === null || state.userVersion === null || state.revokedAt) return revoked();
    if (state.sessionVersion !== state.userVersion) return revoked();
    if (state.sessionCreatedAt!.getTime() <= oldestLogin(now).getTime()) {
      return new RefreshTokenRefused('token_expired', 'The session has reached its maximum lifetime. Log in again.');
    }
    return null;
  }

  /**
   * A rotated token presented again. Past the grace interval: theft, the session is
   * revoked. Inside it: the successor, but only while that successor is the
   * session's live token; once it has been rotated in turn, handing it out would give
   * the client a dead token whose next use revokes the session.
   */
  async function replay(state: TokenState, rotatedAt: Date, successor: string, now: Date): Promise<IssuedRefreshToken> {
    if (graceMs === 0 || now.getTime() - rotatedAt.getTime() > graceMs) {
      await revokeSession(db, state.chainId, now);
      throw new RefreshTokenRefused('refresh_reused', 'This refresh token was already used; the session has been revoked. Log in again.');
    }
    const next = await findTokenState(db, sha256(successor));
    if (!next) throw invalid();
    const refusal = sessionRefusal(next, now);
    if (refusal) throw refusal;
    if (next.rotatedAt) {
      throw new RefreshTokenRefused('token_superseded', 'This refresh token was replaced twice since; use the newest one.');
    }
    if (next.expiresAt.getTime() <= now.getTime()) throw expired();
    return { token: successor, userId: next.userId!, sessionVersion: next.sessionVersion!, role: next.userRole!, expiresAt: usableUntil(next.expiresAt, next.sessionCreatedAt!) };
  }

  /**
   * The session part of a token's successor: the one the token names or, for a token of
   * the earlier shape (no session in it), its session's, looked up once; its successor
   * then names it, so a session moves to the new shape on its next refresh. Either way a
   * token always has the same successor, which replay() relies on.
   */
  async function successorPart(token: string): Promise<string> {
    const named = namedSessionPart(token);
    if (named !== undefined) return named;
    const state = await findTokenState(db, sha256(token));
    if (!state) throw invalid();
    return sessionPart(state.chainId);
  }

  return {
    async issue(user) {
      const chainId = randomUUID();
      const token = firstToken(chainId);
      const now = clock.now();
      const expiresAt = new Date(now.getTime() + ttlMs);
      await insertSession(
        db,
        { id: chainId, userId: user.id, sessionVersion: user.sessionVersion, createdAt: now },
        { id: randomUUID(), tokenHash: sha256(token), expiresAt },
      );
      return { token, userId: user.id, sessionVersion: user.sessionVersion, role: user.role, expiresAt: usableUntil(expiresAt, now) };
    },

    async rotate(token) {
      const hash = sha256(token);
      const successor = successorToken(await successorPart(token), successorSecret(token));
      const now = clock.now();
      // The usual case, a live token presented once: one statement inserts its successor and marks it rotated.
      const expiresAt = new Date(now.getTime() + ttlMs);
      try {
        const rotated = await insertSuccessorIfLive(db, hash, { id: randomUUID(), tokenHash: sha256(successor), expiresAt, createdAt: now }, oldestLogin(now));
        if (rotated) {
          const { userId, sessionVersion, role, sessionCreatedAt } = rotated;
          return { token: successor, userId, sessionVersion, role, expiresAt: usableUntil(expiresAt, sessionCreatedAt) };
        }
      } catch (error) {
        // PostgreSQL: a concurrent rotation of this token inserted the same successor first; the replay path below answers.
        if (!(error instanceof UniqueConstraintError)) throw error;
      }

      // Otherwise say why: unknown, revoked, over, expired, or rotated already (a replay).
      const state = await findTokenState(db, hash);
      if (!state) throw invalid();
      const refusal = sessionRefusal(state, now);
      if (refusal) throw refusal;
      if (!state.rotatedAt) throw expired(); // live session, unrotated token: it failed the statement's `expires_at > now`
      return replay(state, state.rotatedAt, successor, now);
    },

    async inspect(token) {
      const state = await findTokenState(db, sha256(token));
      const now = clock.now();
      if (!state || sessionRefusal(state, now) || state.rotatedAt || state.expiresAt.getTime() <= now.getTime()) return null;
      return { userId: state.userId!, usableUntil: usableUntil(state.expiresAt, state.sessionCreatedAt!) };
    },

    async revokeChainOf(token, userId) {
      const state = await findTokenState(db, sha256(token));
      if (!state) return false;
      return revokeSession(db, state.chainId, clock.now(), userId);
    },

    async revokeAllOf(userId) {
      const now = clock.now();
      return revokeSessionsOf(db, userId, now, oldestLogin(now));
    },
  };
}
