import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { bearerTokenFromHeader, tokenInSeveralPlaces } from '../auth/bearer';
import { bodyOrCookieToken, refreshTokenFromCookie, refreshTokenInSeveralPlaces } from '../auth/refresh-cookie';
import { invalidRefreshToken, invalidRequest } from '../errors';
import { RefreshTokenRefused } from '../services/errors';
import type { RefreshTokenService } from '../services/refresh-token.service';
import type { TokenService } from '../services/token.service';
import type { TokenResponder } from './token-response';

/**
 * The refresh token of a request: in the cookie, the Authorization header or the
 * body, exactly one of them (RFC 6750 section 2; two Authorization lines or a copy
 * in the query string count as a second place). A header that is not
 * `Bearer <token>` is a refused token (401), like any string that is not a live
 * refresh token.
 */
function presentedRefreshToken(req: Request): { token: string; fromCookie: boolean } {
  const fromBody = (matchedData(req) as { refresh_token?: string }).refresh_token;
  const fromCookie = refreshTokenFromCookie(req);
  if (tokenInSeveralPlaces(req, 'refresh_token', fromCookie !== undefined)) throw refreshTokenInSeveralPlaces();
  if (fromCookie !== undefined) return { token: fromCookie, fromCookie: true };
  if (fromBody !== undefined) return { token: fromBody, fromCookie: false };
  if (req.headers.authorization === undefined) {
    throw invalidRequest('refresh_token is required (body field or Authorization: Bearer).', [
      { field: 'refresh_token', message: 'refresh_token is required' },
    ]);
  }
  const fromHeader = bearerTokenFromHeader(req);
  if (!fromHeader) throw invalidRefreshToken('token_invalid', 'The Authorization header must be "Bearer <refresh_token>".');
  return { token: fromHeader, fromCookie: false };
}

export function createTokenController(tokens: TokenService, refreshTokens: RefreshTokenService, responder: TokenResponder) {
  return {
    /** POST /token: the password grant (Passport already checked the credentials) or the refresh_token grant. */
    async grant(req: Request, res: Response) {
      if (req.user) {
        responder.send(req, res, await tokens.issueFor(req.user));
        return;
      }
      const { refresh_token: refreshToken } = matchedData(req) as { refresh_token: string };
      responder.send(req, res, await tokens.refresh(refreshToken));
    },

    /** POST /token/refresh */
    async refresh(req: Request, res: Response) {
      const { token, fromCookie } = presentedRefreshToken(req);
      try {
        responder.send(req, res, await tokens.refresh(token), { fromCookie });
      } catch (error) {
        // A dead cookie token (unknown, expired, revoked, reused) would come back on every page
        // load: clear it with the 401. Not on a 5xx, when the token may well still be good.
        // Not when superseded: the browser's cookie jar may already hold the newer token another tab received.
        if (fromCookie && error instanceof RefreshTokenRefused && error.code !== 'token_superseded') responder.clear(req, res);
        throw error;
      }
    },

    /**
     * POST /token/revoke (RFC 7009): 200 whether or not the token was known, so it
     * reveals nothing. The token is the body's `token` or the refresh cookie, which is then cleared.
     */
    async revoke(req: Request, res: Response) {
      const { token, fromCookie } = bodyOrCookieToken(req, (matchedData(req) as { token?: string }).token);
      if (token === undefined) throw invalidRequest('token is required', [{ field: 'token', message: 'token is required' }]);
      await refreshTokens.revokeChainOf(token);
      if (fromCookie) responder.clear(req, res);
      res.status(200).json({});
    },
  };
}
