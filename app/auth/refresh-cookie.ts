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

/** The refresh token the browser sent in its cookie, or undefined (an empty or non-string value counts as none). */
export function refreshTokenFromCookie(req: Request): string | undefined {
  // cookie-parser turns "j:{…}" values into objects: only a plain string is a token.
  const value: unknown = (req.cookies as Record<string, unknown> | undefined)?.[REFRESH_COOKIE];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** RFC 6750 section 2: a token sent in two places at once is refused, whichever two they are. */
export const refreshTokenInSeveralPlaces = () =>
  invalidRequest('Send the refresh token in one place only: the cookie, the Authorization header or the body.', undefined, 'token_in_several_places');

/** The refresh token of a body field or of the cookie (a 400 when both are sent), and where it came from. */
export function bodyOrCookieToken(req: Request, fromBody: string | undefined): { token?: string; fromCookie: boolean } {
  const fromCookie = refreshTokenFromCookie(req);
  if (fromBody !== undefined && fromCookie !== undefined) throw refreshTokenInSeveralPlaces();
  return fromCookie !== undefined ? { token: fromCookie, fromCookie: true } : { token: fromBody, fromCookie: false };
}

/** Does this request read the refresh cookie or ask to have one written? Those are the requests CSRF checks guard. */
export function usesRefreshCookie(req: Request): boolean {
  return refreshTokenFromCookie(req) !== undefined || requestedDelivery(req) === 'cookie';
}
