import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { invalidAccessToken } from '../errors';
import type { TokenService } from '../services/token.service';
import { toProfile, UserService } from '../services/user.service';
import type { TokenResponder } from './token-response';

export function createUserController(users: UserService, tokens: TokenService, responder: TokenResponder) {
  return {
    /** GET /protected: the example guarded route. */
    protectedExample(req: Request, res: Response) {
      res.json({ id: req.user!.id, username: req.user!.username });
    },

    /** GET /users/me */
    async me(req: Request, res: Response) {
      const user = await users.findById(req.user!.id);
      if (!user) throw invalidAccessToken('token_revoked', 'The user of this token no longer exists.');
      res.json(toProfile(user));
    },

    /**
     * PUT /users/me/password: every earlier session ends (refresh tokens revoked,
     * older access tokens refused); the caller gets a fresh token pair so this tab stays
     * logged in (the refresh token in the cookie when it asks for cookie delivery).
     */
    async changePassword(req: Request, res: Response) {
      const { current_password: current, new_password: next } = matchedData(req) as { current_password: string; new_password: string };
      const user = await users.changePassword(req.user!, current, next);
      responder.send(req, res, await tokens.issueFor(user));
    },
  };
}
