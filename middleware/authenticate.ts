import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { tokenInSeveralPlaces } from '../app/auth/bearer';
import type { PassportInstance } from '../app/auth/passport';
import type { AuthenticatedUser, RefusalInfo } from '../app/auth/types';
import { accountDisabled, invalidAccessToken, invalidCredentials, invalidRequest, missingAccessToken } from '../app/errors';

/** A refusal from the JWT strategy (app/auth/strategies/jwt.strategy.ts) carries its reason; map it to a stable code. */
function accessRefusal(info: unknown) {
  const code = (info as RefusalInfo | undefined)?.code;
  if (code === 'token_expired' || code === 'token_revoked' || code === 'token_stale' || code === 'account_disabled') return invalidAccessToken(code, (info as RefusalInfo).message);
  return invalidAccessToken('token_invalid', 'The access token is not valid.');
}

/**
 * Guards a route with Passport's JWT strategy. Passport's three outcomes stay
 * apart: a fault (the user lookup failed) is forwarded as an error, a refusal is a
 * 401 with an RFC 6750 challenge, a success sets req.user.
 */
export function requireAccessToken(passport: PassportInstance): RequestHandler {
  return function requireAccessToken(req: Request, res: Response, next: NextFunction) {
    if (tokenInSeveralPlaces(req, 'access_token')) {
      return next(invalidRequest('Send the access token in one place only: the Authorization header.', undefined, 'token_in_several_places'));
    }
    const onResult = (err: unknown, user: AuthenticatedUser | false, info: unknown) => {
      if (err) return next(err);
      if (user) {
        req.user = user;
        return next();
      }
      next(req.headers.authorization === undefined ? missingAccessToken() : accessRefusal(info));
    };
    passport.authenticate('jwt', { session: false }, onResult)(req, res, next);
  };
}

/** Checks username and password with Passport's local strategy; wrong ones are 401 invalid_grant, a disabled account's right ones 403. */
export function requireCredentials(passport: PassportInstance): RequestHandler {
  return function requireCredentials(req: Request, res: Response, next: NextFunction) {
    const onResult = (err: unknown, user: AuthenticatedUser | false, info: unknown) => {
      if (err) return next(err);
      if (!user && (info as RefusalInfo | undefined)?.code === 'account_disabled') return next(accountDisabled());
      if (!user) return next(invalidCredentials());
      req.user = user;
      next();
    };
    passport.authenticate('local', { session: false }, onResult)(req, res, next);
  };
}
