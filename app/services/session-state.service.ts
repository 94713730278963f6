import { LRUCache } from 'lru-cache';
import type { Database } from '../../models';

/** What a guarded request needs to know about the user behind an access token. */
export interface SessionState {
  id: string;
  username: string;
  sessionVersion: number;
  role: string;
  disabled: boolean;
}

export interface SessionStateService {
  get(userId: string): Promise<SessionState | null>;
  /** The state if it is in memory now (null: no such user), undefined if it must be loaded with get(). */
  peek(userId: string): SessionState | null | undefined;
  forget(userId?: string): void;
}

/**
 * Keeps each user's session version, role and disabled flag in memory so a guarded
 * request costs no database round trip. Correctness rests on invalidation: every write to a user
 * made through the models (password change, logout-all, role change, disable, delete) clears its entry
 * through the hooks below, before the write's response is sent. An epoch guards
 * the race where a slow read would put back a value that a write just cleared.
 * Writes from another process (or raw SQL) are not seen: run one process per
 * database, or shorten `ttl`.
 */
export function createSessionStateService(db: Database, options = { max: 50_000, ttlMs: 60_000 }): SessionStateService {
  const cache = new LRUCache<string, SessionState | false>({ max: options.max, ttl: options.ttlMs });
  let epoch = 0;

  function forget(userId?: string): void {
    epoch += 1;
    if (userId === undefined) cache.clear();
    else cache.delete(userId);
  }

  db.User.addHook('afterCreate', (user) => forget((user as unknown as SessionState).id));
  db.User.addHook('afterUpdate', (user) => forget((user as unknown as SessionState).id));
  db.User.addHook('afterDestroy', (user) => forget((user as unknown as SessionState).id));
  const forgetWhere = (options: { where?: unknown }) => {
    const id = (options.where as { id?: unknown } | undefined)?.id;
    forget(typeof id === 'string' ? id : undefined);
  };
  db.User.addHook('afterBulkUpdate', forgetWhere);
  db.User.addHook('afterBulkDestroy', forgetWhere);

  function peek(userId: string): SessionState | null | undefined {
    const cached = cache.get(userId);
    return cached === undefined ? undefined : cached || null;
  }

  return {
    peek,
    async get(userId) {
      const cached = peek(userId);
      if (cached !== undefined) return cached;
      const startedAt = epoch;
      const user = await db.User.findByPk(userId, { attributes: ['id', 'username', 'sessionVersion', 'role', 'disabledAt'] });
      const state: SessionState | false = user
        ? { id: user.id, username: user.username, sessionVersion: user.sessionVersion, role: user.role, disabled: user.disabledAt !== null }
        : false;
      if (epoch === startedAt) cache.set(userId, state);
      return state || null;
    },
    forget,
  };
}
