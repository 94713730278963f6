import { LRUCache } from 'lru-cache';
import type { Database } from '../../models';
import { InvalidationChannel, singleProcessChannel } from '../invalidation/channel';

/** What a guarded request needs to know about the user behind an access token. */
export interface SessionState {
  id: string;
  username: string;
  sessionVersion: number;
  role: string;
  disabled: boolean;
}

export interface SessionStateService {
  /**
   * The user's state, from memory when it is there. With `loadedSince` (ms since the
   * epoch), a copy read from the database before that moment is read again: the
   * database may have changed since without this process knowing (another process,
   * such as the users CLI, wrote it).
   */
  get(userId: string, options?: { loadedSince?: number }): Promise<SessionState | null>;
  /** The state if it is in memory now (null: no such user), undefined if it must be loaded with get(). */
  peek(userId: string): SessionState | null | undefined;
  forget(userId?: string): void;
}

/**
 * Keeps each user's session version, role and disabled flag in memory so a guarded
 * request costs no database round trip. Correctness rests on invalidation:
 *  - This process's own writes through the models (password change, logout-all,
 *    role change, disable, delete) clear the entry through the hooks below, before
 *    the write's response is sent, and announce it on the channel: the workers of
 *    one cluster tell each other through the primary.
 *  - Other processes' writes arrive as notices on the channel: on PostgreSQL a
 *    trigger notifies from within the writing transaction, whoever wrote it
 *    (app/invalidation/). While the channel is not live a notice could be missed,
 *    so the cache is not used at all: every check reads the database.
 *  - Where no channel reaches (the users CLI on SQLite), a write is seen once the
 *    entry expires (`ttl`), or by a caller asking for a copy read after a given
 *    moment (get's `loadedSince`): the access-token guard does, before it refuses
 *    a token issued after the copy was read.
 * An epoch guards the race where a slow read would put back a value that a write
 * or a notice just cleared.
 */
export function createSessionStateService(db: Database, channel: InvalidationChannel = singleProcessChannel, options = { max: 50_000, ttlMs: 60_000 }): SessionStateService {
  // `loadedAt`: when the read that produced the entry began (the entry is at least that fresh).
  const cache = new LRUCache<string, { state: SessionState | false; loadedAt: number }>({ max: options.max, ttl: options.ttlMs });
  let epoch = 0;

  function forgetHere(userId: string | null): void {
    epoch += 1;
    if (userId === null) cache.clear();
    else cache.delete(userId);
  }
  channel.listen(forgetHere);

  /** This process changed the user (no request path writes in a transaction: the change has committed). */
  function forget(userId?: string): void {
    forgetHere(userId ?? null);
    channel.announce(userId ?? null);
  }

  db.User.addHook('afterCreate', (user) => forgetHere((user as unknown as SessionState).id));
  db.User.addHook('afterUpdate', (user) => forget((user as unknown as SessionState).id));
  db.User.addHook('afterDestroy', (user) => forget((user as unknown as SessionState).id));
  const forgetWhere = (options: { where?: unknown }) => {
    const id = (options.where as { id?: unknown } | undefined)?.id;
    forget(typeof id === 'string' ? id : undefined);
  };
  db.User.addHook('afterBulkUpdate', forgetWhere);
  db.User.addHook('afterBulkDestroy', forgetWhere);

  function peek(userId: string): SessionState | null | undefined {
    if (!channel.isLive()) return undefined;
    const cached = cache.get(userId);
    return cached === undefined ? undefined : cached.state || null;
  }

  return {
    peek,
    async get(userId, { loadedSince } = {}) {
      const trusted = channel.isLive();
      const cached = trusted ? cache.get(userId) : undefined;
      if (cached !== undefined && (loadedSince === undefined || cached.loadedAt >= loadedSince)) return cached.state || null;
      const startedAt = epoch;
      const loadedAt = Date.now();
      const user = await db.User.findByPk(userId, { attributes: ['id', 'username', 'sessionVersion', 'role', 'disabledAt'] });
      const state: SessionState | false = user
        ? { id: user.id, username: user.username, sessionVersion: user.sessionVersion, role: user.role, disabled: user.disabledAt !== null }
        : false;
      if (trusted && epoch === startedAt) cache.set(userId, { state, loadedAt });
      return state || null;
    },
    forget,
  };
}
