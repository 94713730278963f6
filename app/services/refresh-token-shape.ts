import { randomBytes } from 'node:crypto';

/**
 * A refresh token is `<session>.<secret>`: the id of its session (the refresh chain, a
 * UUID) as 22 base64url characters, a dot, and 256 bits as 43 base64url characters: 66
 * characters in all. The session part lets the rate limit count refreshes per session
 * before any database work (middleware/rate-limit-refresh.ts). It proves nothing: anyone
 * can write any prefix, and only the whole token's hash is ever looked up. Tokens issued
 * before this shape are 43 characters of secret alone; they still rotate
 * (app/services/refresh-token.service.ts).
 */
const SHAPE = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/** A session id (a UUID) as a token's session part: its 16 bytes in base64url. */
export const sessionPart = (sessionId: string): string => Buffer.from(sessionId.replace(/-/g, ''), 'hex').toString('base64url');

/** The first token of a session: its session part and 256 random bits. */
export const firstToken = (sessionId: string): string => `${sessionPart(sessionId)}.${randomBytes(32).toString('base64url')}`;

/** A successor: the session part again and a secret derived from the token it replaces (43 characters of HMAC-SHA256). */
export const successorToken = (part: string, secret: string): string => `${part}.${secret}`;

/** The session part a token names; undefined when it has not this shape (a token of the earlier shape, or no token of ours). */
export function namedSessionPart(token: string): string | undefined {
  return SHAPE.exec(token)?.[1];
}
