import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { AccountChange, UserAdminService } from '../services/user-admin.service';
import { LIST_LIMIT } from '../validators/admin.validator';

/**
 * The audit trail: one info line per admin action that took effect, naming who did
 * what to whom (the request's id, method and URL come with req.log). Refused
 * attempts are not actions; the request log has them as 4xx lines.
 */
function audit(req: Request, action: string, targetId: string, changes: Record<string, unknown>): void {
  req.log.info({ actor_id: req.user!.id, target_id: targetId, action, changes }, 'admin action');
}

export function createAdminController(userAdmin: UserAdminService) {
  return {
    /** GET /admin/users?limit=&cursor=&q= */
    async list(req: Request, res: Response) {
      const { limit = LIST_LIMIT.default, cursor, q } = matchedData(req, { locations: ['query'] }) as { limit?: number; cursor?: string; q?: string };
      const page = await userAdmin.list({ limit, cursor, q });
      res.json({ users: page.users, next_cursor: page.nextCursor });
    },

    /** GET /admin/users/:id */
    async get(req: Request<{ id: string }>, res: Response) {
      res.json(await userAdmin.get(req.params.id));
    },

    /** PATCH /admin/users/:id: role and/or disabled; the answer is the user as changed. */
    async update(req: Request<{ id: string }>, res: Response) {
      const { role, disabled } = matchedData(req, { locations: ['body'] }) as AccountChange;
      const changes: AccountChange = { ...(role !== undefined && { role }), ...(disabled !== undefined && { disabled }) };
      const user = await userAdmin.update(req.params.id, changes);
      audit(req, 'user.update', user.id, { ...changes });
      res.json(user);
    },

    /** POST /admin/users/:id/sessions/revoke */
    async revokeSessions(req: Request<{ id: string }>, res: Response) {
      await userAdmin.revokeSessions(req.params.id);
      audit(req, 'user.revoke_sessions', req.params.id.toLowerCase(), {});
      res.status(204).end();
    },
  };
}
