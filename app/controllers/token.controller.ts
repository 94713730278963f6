import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { bearerTokenFromHeader, tokenInSeveralPlaces } from '../auth/bearer';
import { invalidRefreshToken, invalidRequest } from '../errors';
import type { RefreshTokenService } from '../services/refresh-token.service';
import type { TokenService } from '../services/token.service';

/**
 * The refresh token of a request: in the Authorization header or the body, never
 * both (RFC 6750 section 2). A header that is not `Bearer <token>` is a refused
 * token (401), like any other string that is not a live refresh token.
 */
function presentedRefreshToken(req: Request): string {
  if (tokenInSeveralPlaces(req, 'refresh_token')) {
    throw invalidRequest('Send the refresh token in one place only: the Authorization header or the body.', undefined, 'token_in_several_places');
  }
  const fromBody = (matchedData(req) as { refresh_token?: string }).refresh_token;
  if (fromBody !== undefined) return fromBody;
  if (req.headers.authorization === undefined) {
    throw invalidRequest('refresh_token is required (body field or Authorization: Bearer).', [
      { field: 'refresh_token', message: 'refresh_token is required' },
    ]);
  }
  const fromHeader = bearerTokenFromHeader(req);
  if (!fromHeader) throw invalidRefreshToken('token_invalid', 'The Authorization header must be "Bearer <refresh_token>".');
  return fromHeader;
}

export function createTokenController(tokens: TokenService, refreshTokens: RefreshTokenService) {
  return {
    /** POST /token: the password grant (Passport already checked the credentials) or the refresh_token grant. */
    async grant(req: Request, res: Response) {
      if (req.user) {
        res.json(await tokens.issueFor(req.user));
        return;
      }
      const { refresh_token: refreshToken } = matchedData(req) as { refresh_token: string };
      res.json(await tokens.refresh(refreshToken));
    },

    /** POST /token/refresh */
    async refresh(req: Request, res: Response) {
      res.json(await tokens.refresh(presentedRefreshToken(req)));
    },

    /** POST /token/revoke (RFC 7009): 200 whether or not the token was known, so it reveals nothing. */
    async revoke(req: Request, res: Response) {
      const { token } = matchedData(req) as { token: string };
      await refreshTokens.revokeChainOf(token);
      res.status(200).json({});
    },
  };
}
