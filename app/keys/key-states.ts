/**
 * The life of a signing key:
 * - `next`: published in the JWKS, not yet signing, so verifiers have it cached
 *   before the first token it signs reaches them;
 * - `current`: signs every new access token (exactly one);
 * - `previous`: no longer signs; published and accepted until every token it
 *   signed has expired (ACCESS_TOKEN_TTL plus the clock leeway after it stopped
 *   signing), then dropped;
 * - `revoked`: dropped from the JWKS and refused at once.
 */
export type KeyState = 'next' | 'current' | 'previous' | 'revoked';

/** How far the clocks of this server and of the services verifying its tokens may disagree. */
export const CLOCK_LEEWAY_SECONDS = 60;

/** How often a process reads the keys again, whether or not it heard of a change (PostgreSQL says so at once). */
export const KEY_RELOAD_INTERVAL_MS = 10_000;

/** When a `previous` key stops being accepted and published (ms since the epoch). */
export const acceptedUntil = (retiredAt: Date, accessTokenTtl: number): number => retiredAt.getTime() + (accessTokenTtl + CLOCK_LEEWAY_SECONDS) * 1000;

/** Whether a key in `state` (retired at `retiredAt`) is still published and, unless `next`, accepted at `now`. */
export function isLive(key: { state: KeyState; retiredAt: Date | null }, now: Date, accessTokenTtl: number): boolean {
  if (key.state === 'next' || key.state === 'current') return true;
  return key.state === 'previous' && key.retiredAt !== null && acceptedUntil(key.retiredAt, accessTokenTtl) > now.getTime();
}
