import { Router } from 'express';
import type { Routes } from './types';
import { requirePermission } from '../middleware/require-permission';
import { validate } from '../middleware/validate';
import { listUsersRules, updateUserRules } from '../app/validators/admin.validator';

/**
 * The admin API: an access token of a live session, then the users:manage
 * permission (403 insufficient_scope without it), then the request itself. Only
 * bearer tokens, never the refresh cookie, so no origin check. An unknown or
 * malformed id is a 404 user_not_found; demoting or disabling the last enabled
 * admin a 409 last_admin. Changes and session revocations are logged as admin actions.
 */
export function adminRoutes(router: Router, { controllers: { admin }, guards }: Routes): Router {
  const manageUsers = requirePermission('users:manage');
  return router
    .get('/admin/users', guards.accessToken, manageUsers, validate(listUsersRules), admin.list)
    .get('/admin/users/:id', guards.accessToken, manageUsers, admin.get)
    .patch('/admin/users/:id', guards.accessToken, manageUsers, validate(updateUserRules), admin.update)
    .post('/admin/users/:id/sessions/revoke', guards.accessToken, manageUsers, admin.revokeSessions);
}
