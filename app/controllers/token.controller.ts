import type { Request, Response } from 'express';
import { presentedRefreshToken, REFRESH_TOKEN_SOURCES } from '../auth/refresh-token-source';
import type { RefreshTokenService } from '../services/refresh-token.service';
import type { TokenService } from '../services/token.service';
import type { TokenResponder } from './token-response';

export function createTokenController(tokens: TokenService, refreshTokens: RefreshTokenService, responder: TokenResponder) {
  const rotate = (token: string) => tokens.refresh(token);

  return {
    /** POST /token: the password grant (Passport already checked the credentials) or the refresh_token grant. */
    async grant(req: Request, res: Response) {
      if (req.user) {
        responder.send(req, res, await tokens.issueFor(req.user));
        return;
      }
      await responder.sendRotated(req, res, presentedRefreshToken(req, REFRESH_TOKEN_SOURCES.grant), rotate);
    },

    /** POST /token/refresh: the same rotation as the refresh_token grant; the token may also come as a bearer header. */
    async refresh(req: Request, res: Response) {
      await responder.sendRotated(req, res, presentedRefreshToken(req, REFRESH_TOKEN_SOURCES.refresh), rotate);
    },

    /**
     * POST /token/revoke (RFC 7009): 200 whether or not the token was known, so it
     * reveals nothing. The token is the body's `token` or the refresh cookie, which is then cleared.
     */
    async revoke(req: Request, res: Response) {
      const { token, fromCookie } = presentedRefreshToken(req, REFRESH_TOKEN_SOURCES.revoke);
      await refreshTokens.revokeChainOf(token);
      if (fromCookie) responder.clear(req, res);
      res.status(200).json({});
    },
  };
}
