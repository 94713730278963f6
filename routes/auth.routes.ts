import { Router } from 'express';
import type { Routes } from './types';
import { REFRESH_TOKEN_SOURCES } from '../app/auth/refresh-token-source';
import { checkTokenTransport } from '../middleware/token-transport';
import { validate } from '../middleware/validate';
import { logoutRules, registerRules } from '../app/validators/auth.validator';

/** Account endpoints: registration is open (and throttled per IP); logout needs an access token (and, with the cookie, a trusted origin). */
export function authRoutes(router: Router, { controllers: { auth }, guards, limits }: Routes): Router {
  return router
    .post('/auth/register', limits.perIp, validate(registerRules), auth.register)
    .post('/auth/logout', guards.trustedOrigin, guards.accessToken, validate(logoutRules), checkTokenTransport(REFRESH_TOKEN_SOURCES.logout), auth.logout);
}
