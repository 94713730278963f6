import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { requestedDelivery } from '../auth/refresh-cookie';
import { presentedRefreshToken, REFRESH_TOKEN_SOURCES } from '../auth/refresh-token-source';
import type { RefreshTokenService } from '../services/refresh-token.service';
import { toProfile, UserService } from '../services/user.service';
import type { TokenResponder } from './token-response';

export function createAuthController(users: UserService, refreshTokens: RefreshTokenService, responder: TokenResponder) {
  return {
    /** POST /auth/register */
    async register(req: Request, res: Response) {
      const { username, password, email } = matchedData(req) as { username: string; password: string; email?: string };
      const user = await users.register({ username, password, email });
      res.status(201).location('/users/me').json(toProfile(user));
    },

    /**
     * POST /auth/logout: ends this session (the chain of the refresh token in the body
     * or the cookie) or, with all=true, every session. A cookie client's cookie is cleared.
     */
    async logout(req: Request, res: Response) {
      const { all } = matchedData(req) as { all?: boolean };
      const presented = presentedRefreshToken(req, REFRESH_TOKEN_SOURCES.logout);
      const userId = req.user!.id;
      if (all === true) await users.endAllSessions(userId);
      else if (presented) await refreshTokens.revokeChainOf(presented.token, userId);
      if (presented?.fromCookie || requestedDelivery(req) === 'cookie') responder.clear(req, res);
      res.status(204).end();
    },
  };
}
