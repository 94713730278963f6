import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { bearerTokenFromHeader } from '../auth/bearer';
import { bodyOrCookieToken, refreshTokenFromCookie, refreshTokenInSeveralPlaces } from '../auth/refresh-cookie';
import { invalidRequest } from '../errors';
import type { RefreshTokenService } from '../services/refresh-token.service';
import type { TokenService } from '../services/token.service';
import type { TokenResponder } from './token-response';

/** The refresh token of a request: in the cookie, the Authorization header or the body, exactly one of them. */
function presentedRefreshToken(req: Request): { token: string; fromCookie: boolean } {
  const fromBody = (matchedData(req) as { refresh_token?: string }).refresh_token;
  const fromCookie = refreshTokenFromCookie(req);
  const hasHeader = req.headers.authorization !== undefined;
  if ([hasHeader, fromBody !== undefined, fromCookie !== undefined].filter(Boolean).length > 1) throw refreshTokenInSeveralPlaces();
  if (fromCookie !== undefined) return { token: fromCookie, fromCookie: true };
  if (fromBody !== undefined) return { token: fromBody, fromCookie: false };
  const fromHeader = bearerTokenFromHeader(req);
  if (fromHeader) return { token: fromHeader, fromCookie: false };
  throw invalidRequest(
    hasHeader ? 'The Authorization header must be "Bearer <refresh_token>".' : 'refresh_token is required (body field or Authorization: Bearer).',
    [{ field: 'refresh_token', message: 'refresh_token is required' }],
  );
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
      responder.send(req, res, await tokens.refresh(token), { fromCookie });
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
