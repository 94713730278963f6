import { Request, RequestHandler, Router } from 'express';
import type { Routes } from './types';
import { REFRESH_TOKEN_SOURCES } from '../app/auth/refresh-token-source';
import { requireSupportedGrantType } from '../middleware/grant-type';
import { checkTokenTransport } from '../middleware/token-transport';
import { validate } from '../middleware/validate';
import { refreshRules, revokeRules, tokenRules } from '../app/validators/token.validator';

const isPasswordGrant = (req: Request) => (req.body?.grant_type ?? 'password') === 'password';

/** Passport's local strategy runs only for the password grant; the refresh_token grant skips it. */
const forPasswordGrant = (handler: RequestHandler): RequestHandler =>
  function forPasswordGrant(req, res, next) {
    if (!isPasswordGrant(req)) return next();
    handler(req, res, next);
  };

/** The refresh_token grant reads a refresh token; the password grant reads none (and ignores a cookie sent once). */
const grantSource = (req: Request) => (isPasswordGrant(req) ? undefined : REFRESH_TOKEN_SOURCES.grant);

/**
 * Token endpoints. A login walks: per-IP limit (a refresh: per-session limit) -> grant check -> validation ->
 * transport check (delivery header, cookie, token placement) -> per-account
 * failure limit -> Passport local -> a new access token and refresh chain. A
 * refresh presents its token (cookie, header or body: app/auth/refresh-token-source.ts)
 * and gets the successor. Nothing changes before the transport check has passed.
 * Requests that use the refresh cookie must come from a trusted origin (middleware/csrf.ts).
 */
export function tokenRoutes(router: Router, { controllers: { token }, guards, limits }: Routes): Router {
  return router
    .post('/token', limits.tokenGrant, guards.trustedOrigin, requireSupportedGrantType, validate(tokenRules), checkTokenTransport(grantSource), limits.loginFailures, forPasswordGrant(guards.credentials), token.grant)
    .post('/token/refresh', limits.refresh, guards.trustedOrigin, validate(refreshRules), checkTokenTransport(REFRESH_TOKEN_SOURCES.refresh), token.refresh)
    .post('/token/revoke', limits.perIp, guards.trustedOrigin, validate(revokeRules), checkTokenTransport(REFRESH_TOKEN_SOURCES.revoke), token.revoke);
}
