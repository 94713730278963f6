import { Router } from 'express';
import type { Routes } from './types';
import { userNotFound } from '../app/services/user-admin.service';
import { requirePermission } from '../middleware/require-permission';
import { undecodableParam } from '../middleware/undecodable-param';
import { validate } from '../middleware/validate';
import { listUsersRules, updateUserRules } from '../app/validators/admin.validator';

/**
 * The admin API. Everything under /admin first needs an access token of a live
 * session (401), then the users:manage permission (403 insufficient_scope), also
 * for a path that then matches no route. Only bearer tokens, never the refresh
 * cookie, so no origin check. An unknown or malformed id, even one Express cannot
 * decode, is a 404 user_not_found; demoting or disabling the last enabled admin a
 * 409 last_admin. Changes and session revocations are logged as admin actions.
 */
export function adminRoutes(router: Router, { controllers: { admin }, guards }: Routes): Router {
  return router
    .use('/admin', guards.accessToken, requirePermission('users:manage'))
    .get('/admin/users', validate(listUsersRules), admin.list)
    .get('/admin/users/:id', admin.get)
    .patch('/admin/users/:id', validate(updateUserRules), admin.update)
    .post('/admin/users/:id/sessions/revoke', admin.revokeSessions)
    .use('/admin/users', undecodableParam(userNotFound));
}
