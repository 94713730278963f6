import type { RequestHandler } from 'express';
import { can, Permission } from '../app/auth/permissions';
import { insufficientScope } from '../app/errors';

/**
 * Guards a route with a permission (app/auth/permissions.ts), after
 * requireAccessToken: a user whose live role lacks it gets 403 insufficient_scope
 * (RFC 6750 section 3.1); a missing or bad token is still requireAccessToken's 401.
 * The role is the user's role now, never the token's `roles` claim.
 */
export function requirePermission(permission: Permission): RequestHandler {
  return function requirePermission(req, _res, next) {
    if (!req.user) return next(new Error(`requirePermission('${permission}') must come after requireAccessToken`));
    next(can(req.user.role, permission) ? undefined : insufficientScope(permission));
  };
}
