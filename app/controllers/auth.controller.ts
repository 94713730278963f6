import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { RefreshTokenService } from '../services/refresh-token.service';
import { toProfile, UserService } from '../services/user.service';

export function createAuthController(users: UserService, refreshTokens: RefreshTokenService) {
  return {
    /** POST /auth/register */
    async register(req: Request, res: Response) {
      const { username, password, email } = matchedData(req) as { username: string; password: string; email?: string };
      const user = await users.register({ username, password, email });
      res.status(201).location('/users/me').json(toProfile(user));
    },

    /** POST /auth/logout: ends this session (its refresh-token chain) or, with all=true, every session. */
    async logout(req: Request, res: Response) {
      const { refresh_token: refreshToken, all } = matchedData(req) as { refresh_token?: string; all?: boolean };
      const userId = req.user!.id;
      if (all === true) await users.endAllSessions(userId);
      else if (refreshToken) await refreshTokens.revokeChainOf(refreshToken, userId);
      res.status(204).end();
    },
  };
}
