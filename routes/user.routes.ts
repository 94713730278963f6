import { Router } from 'express';
import type { Routes } from './types';
import { checkTokenTransport } from '../middleware/token-transport';
import { validate } from '../middleware/validate';
import { changePasswordRules } from '../app/validators/user.validator';

/**
 * Guarded routes: each needs a valid access token of a live session. A password
 * change is checked whole (body, then the delivery header) before the current
 * password is; a wrong one counts against the account's login failure budget
 * (a stolen access token is no free password oracle).
 */
export function userRoutes(router: Router, { controllers: { user }, guards, limits }: Routes): Router {
  return router
    .get('/protected', guards.accessToken, user.protectedExample)
    .get('/users/me', guards.accessToken, user.me)
    .put('/users/me/password', guards.trustedOrigin, guards.accessToken, validate(changePasswordRules), checkTokenTransport(), limits.passwordFailures, user.changePassword);
}
