import type { Request } from 'express';
import { invalidRefreshToken, invalidRequest } from '../errors';
import { bearerTokenFromHeader, tokenInSeveralPlaces } from './bearer';
import { refreshTokenFromCookie } from './refresh-cookie';

/**
 * Where one endpoint accepts a refresh token: always the refresh cookie, a body
 * field, and on POST /token/refresh also `Authorization: Bearer`. Elsewhere that
 * header is not the refresh token's: at /token it is client authentication
 * (RFC 6749 section 2.3), at /auth/logout the access token.
 */
export interface RefreshTokenSource {
  /** The body field: `refresh_token` (RFC 6749), or `token` at /token/revoke (RFC 7009). */
  field: 'refresh_token' | 'token';
  bearer: boolean;
  /** Whether a request without any token is a 400 (logout may name no session: all=true, or nothing to end). */
  required: boolean;
}

/** Every endpoint that reads a refresh token, and where it looks. */
export const REFRESH_TOKEN_SOURCES = {
  /** POST /token, grant_type=refresh_token */
  grant: { field: 'refresh_token', bearer: false, required: true },
  /** POST /token/refresh */
  refresh: { field: 'refresh_token', bearer: true, required: true },
  /** POST /token/revoke */
  revoke: { field: 'token', bearer: false, required: true },
  /** POST /auth/logout */
  logout: { field: 'refresh_token', bearer: false, required: false },
} as const satisfies Record<string, RefreshTokenSource>;

export interface PresentedRefreshToken {
  token: string;
  /** A token from the cookie is answered only with a cookie, and a refused one clears it. */
  fromCookie: boolean;
}

/** RFC 6750 section 2: a token sent in two places at once is refused, whichever two they are. */
export const refreshTokenInSeveralPlaces = () =>
  invalidRequest('Send the refresh token in one place only: the cookie, the Authorization header or the body.', undefined, 'token_in_several_places');

function places(source: RefreshTokenSource): string {
  return source.bearer ? `the refresh_token cookie, Authorization: Bearer or body field ${source.field}` : `the refresh_token cookie or body field ${source.field}`;
}

/**
 * The refresh token a request presents, and whether it came in the cookie; undefined
 * when there is none and the endpoint does not require one. Exactly one place may
 * carry it: the cookie (its name sent once), the body field, or where allowed the
 * Authorization header. A second copy anywhere, the query string included (never
 * a valid place, but a copy there means a confused client), is a 400 and neither
 * copy is used. A header that is not `Bearer <token>` is a refused token (401),
 * like any string that is not a live refresh token. Reads only; callers run it
 * before anything changes.
 */
export function presentedRefreshToken(req: Request, source: RefreshTokenSource & { required: true }): PresentedRefreshToken;
export function presentedRefreshToken(req: Request, source: RefreshTokenSource): PresentedRefreshToken | undefined;
export function presentedRefreshToken(req: Request, source: RefreshTokenSource): PresentedRefreshToken | undefined {
  const fromCookie = refreshTokenFromCookie(req);
  if (tokenInSeveralPlaces(req, source.field, { header: source.bearer, elsewhere: fromCookie !== undefined })) throw refreshTokenInSeveralPlaces();
  if (fromCookie !== undefined) return { token: fromCookie, fromCookie: true };
  const fromBody: unknown = (req.body as Record<string, unknown> | undefined)?.[source.field];
  if (typeof fromBody === 'string') return { token: fromBody, fromCookie: false };
  if (source.bearer && req.headers.authorization !== undefined) {
    const fromHeader = bearerTokenFromHeader(req);
    if (!fromHeader) throw invalidRefreshToken('token_invalid', 'The Authorization header must be "Bearer <refresh_token>".');
    return { token: fromHeader, fromCookie: false };
  }
  if (!source.required) return undefined;
  throw invalidRequest(`${source.field} is required: ${places(source)}.`, [{ field: source.field, message: `${source.field} is required` }]);
}
