import type { Request } from 'express';
import { invalidRequest } from '../errors';

/**
 * Browser clients keep their refresh token in an HttpOnly cookie instead of in
 * JavaScript. A client asks for that with the request header
 * `Refresh-Token-Delivery: cookie` (on POST /token, POST /token/refresh and
 * PUT /users/me/password); API clients send nothing and keep getting the token
 * in the body. A header rather than a body field: it reads the same for form and
 * JSON bodies, and a custom header makes every cross-origin request a CORS
 * preflight, which only the origins in CORS_ORIGINS pass.
 *
 * A cookie path is a single prefix, so the cookie is set twice with the same
 * value: once on /token (covering /token/refresh and /token/revoke) and once on
 * /auth/logout. No other route ever sees it.
 */
export const REFRESH_COOKIE = 'refresh_token';
export const REFRESH_COOKIE_PATHS = ['/token', '/auth/logout'] as const;
export const DELIVERY_HEADER = 'Refresh-Token-Delivery';

export type Delivery = 'body' | 'cookie';

/** The delivery the client asked for; undefined when it did not ask. An unknown value is a 400. */
export function requestedDelivery(req: Request): Delivery | undefined {
  const raw = req.get(DELIVERY_HEADER);
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'cookie' || value === 'body') return value;
  throw invalidRequest(`${DELIVERY_HEADER} must be "cookie" or "body".`, [
    { field: DELIVERY_HEADER, message: `${DELIVERY_HEADER} must be "cookie" or "body"` },
  ]);
}

/** How many times the refresh cookie's name appears, over every Cookie line (cookie-parser shows only the first). */
function refreshCookieCount(req: Request): number {
  const joined = req.headers.cookie; // Node joins every Cookie line into this one
  if (joined === undefined || !joined.includes(REFRESH_COOKIE)) return 0;
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() !== 'cookie') continue;
    for (const pair of req.rawHeaders[i + 1].split(';')) {
      // Like the cookie parser: a pair is name=value, the name trimmed; a piece without "=" is no cookie.
      const eq = pair.indexOf('=');
      if (eq !== -1 && pair.slice(0, eq).trim() === REFRESH_COOKIE) count += 1;
    }
  }
  return count;
}

/**
 * Cookie tossing: a sibling subdomain, or a plain-http page on this host, can set a
 * second refresh_token cookie for this site with a narrower path, which the browser
 * sends first. Which of the two is the user's own cannot be told, so neither is used.
 */
export const refreshCookieDuplicated = () =>
  invalidRequest(
    `The ${REFRESH_COOKIE} cookie was sent more than once (another site may have set one); neither is used. Clear this site's cookies and log in again.`,
    undefined,
    'refresh_cookie_duplicated',
  );

/**
 * The refresh token the browser sent in its cookie, or undefined (an empty or
 * non-string value counts as none). The cookie's name sent twice is a 400, before
 * anything reads either value.
 */
export function refreshTokenFromCookie(req: Request): string | undefined {
  if (refreshCookieCount(req) > 1) throw refreshCookieDuplicated();
  // cookie-parser turns "j:{…}" values into objects: only a plain string is a token.
  const value: unknown = (req.cookies as Record<string, unknown> | undefined)?.[REFRESH_COOKIE];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Does this request read the refresh cookie or ask to have one written? Those are the requests CSRF checks guard. */
export function usesRefreshCookie(req: Request): boolean {
  return refreshTokenFromCookie(req) !== undefined || requestedDelivery(req) === 'cookie';
}
