import { RequestHandler, Router } from 'express';
import type { Routes } from './types';
import { requireSupportedGrantType } from '../middleware/grant-type';
import { validate } from '../middleware/validate';
import { refreshRules, revokeRules, tokenRules } from '../app/validators/token.validator';

/** Passport's local strategy runs only for the password grant; the refresh_token grant skips it. */
const forPasswordGrant = (handler: RequestHandler): RequestHandler =>
  function forPasswordGrant(req, res, next) {
    if ((req.body?.grant_type ?? 'password') !== 'password') return next();
    handler(req, res, next);
  };

/**
 * Token endpoints. A login walks: per-IP limit -> grant check -> validation ->
 * per-username failure limit -> Passport local -> a new access token and refresh
 * chain. A refresh presents its token (cookie, header or body) and gets the successor.
 * Requests that use the refresh cookie must come from a trusted origin (middleware/csrf.ts).
 */
export function tokenRoutes(router: Router, { controllers: { token }, guards, limits }: Routes): Router {
  return router
    .post('/token', limits.perIp, guards.trustedOrigin, requireSupportedGrantType, validate(tokenRules), limits.loginFailures, forPasswordGrant(guards.credentials), token.grant)
    .post('/token/refresh', limits.perIp, guards.trustedOrigin, validate(refreshRules), token.refresh)
    .post('/token/revoke', limits.perIp, guards.trustedOrigin, validate(revokeRules), token.revoke);
}
