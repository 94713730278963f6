import type { Express, RequestHandler } from 'express';

export { requirePermission } from '../../middleware/require-permission';

/**
 * The guards a route file imports: `requireAccessToken` first, then
 * `requirePermission('…')` where a route needs a permission (app/auth/permissions.ts).
 *
 *   router.get('/notes', requireAccessToken, notes.list)
 *   router.get('/admin/users', requireAccessToken, requirePermission('users:manage'), admin.list)
 */

/** The app setting where createApp leaves the app's own guards, found through req.app. */
const GUARDS_SETTING = 'auth-server guards';

interface AppGuards {
  /** middleware/authenticate.ts's requireAccessToken over this app's Passport (its keys, clock and session cache). */
  accessToken: RequestHandler;
}

/** Called once by createApp (app/index.ts): the guards its routes run. */
export function installGuards(app: Express, guards: AppGuards): void {
  app.set(GUARDS_SETTING, guards);
}

/**
 * Requires a valid access token of a live session. Missing: 401 token_missing with
 * a bare Bearer challenge; bad, expired, revoked or stale: 401 invalid_token with
 * a stable code; a database fault: forwarded (a 5xx, never a 401). On success
 * req.user is { id, username, sessionVersion, role } (the live role).
 *
 * It runs the JWT strategy of the app serving the request, found at request time
 * (a setting lookup), so a route file needs no Passport of its own and one route
 * file serves every app createApp builds, each with its own secret and clock.
 */
export const requireAccessToken: RequestHandler = function requireAccessToken(req, res, next) {
  const guards = req.app.get(GUARDS_SETTING) as AppGuards | undefined;
  if (!guards) return next(new Error('requireAccessToken runs only in an app built by createApp (app/index.ts), which gives it the JWT strategy to check with'));
  guards.accessToken(req, res, next);
};
