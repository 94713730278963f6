import type { Database } from '../../models';
import { applyAccountChange, listUsers, ListedUser } from '../../models/user-admin.queries';
import type { Role } from '../auth/permissions';
import type { Clock } from '../clock';
import { USERNAME_PATTERN } from '../validators/auth.validator';
import { InvalidCursor, LastAdmin, NotFound } from './errors';
import type { RefreshTokenService } from './refresh-token.service';
import type { SessionStateService } from './session-state.service';
import { decodeCursor, encodeCursor } from './user-cursor';
import { usernameKey, UserService } from './user.service';

/** A user as the admin API and the users CLI show them: never the hash or the session version. */
export interface AdminUser {
  id: string;
  username: string;
  email: string | null;
  role: string;
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

/** What an admin may change of an account; at least one of them. */
export interface AccountChange {
  role?: Role;
  /** true: disable (and end every session); false: enable. */
  disabled?: boolean;
}

export interface UserPage {
  users: AdminUser[];
  /** Hand back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface UserAdminService {
  /**
   * Users in a stable order (by username, case-insensitively), `limit` at a time,
   * after `cursor` (from the previous page), whose username starts with `q` (case
   * ignored; a q no username could start with finds nobody). Throws InvalidCursor
   * for a cursor this server did not hand out.
   */
  list(query: { limit: number; cursor?: string | null; q?: string | null }): Promise<UserPage>;
  /** Throws NotFound (user_not_found) for an unknown id, also for a string that is no id at all. */
  get(userId: string): Promise<AdminUser>;
  /** The user of that username (case-insensitive), or null. */
  findByUsername(username: string): Promise<AdminUser | null>;
  /**
   * Changes a user's role or disabled state. A role change takes effect on the
   * user's very next request (earlier access tokens are refused as stale, a refresh
   * carries the new role); disabling ends every session at once. Refuses with
   * LastAdmin a change that would leave no enabled admin, under any concurrency.
   */
  update(userId: string, change: AccountChange): Promise<AdminUser>;
  /** Ends every session of the user: refresh tokens and earlier access tokens are refused at once. */
  revokeSessions(userId: string): Promise<void>;
}

type Shown = Pick<ListedUser, 'id' | 'username' | 'email' | 'role' | 'disabledAt' | 'createdAt' | 'updatedAt'>;

export const toAdminUser = (user: Shown): AdminUser => ({
  id: user.id,
  username: user.username,
  email: user.email,
  role: user.role,
  disabled: user.disabledAt !== null,
  created_at: user.createdAt.toISOString(),
  updated_at: user.updatedAt.toISOString(),
});

// Ids are UUIDs. Anything else names nobody, and must not reach PostgreSQL, whose uuid column refuses it with an error.
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const userNotFound = () => new NotFound('user_not_found', 'No user has that id.');

// The start of a name the username rule (USERNAME_PATTERN) accepts: its characters, at most its length.
const USERNAME_START = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * The username_key prefix a search term stands for, or null when no username could
 * start with it (a NUL, a look-alike letter, a space): such a term finds nobody
 * without a query, and never reaches the database, where a NUL breaks the statement.
 */
const keyPrefix = (q: string): string | null => (USERNAME_START.test(q) ? usernameKey(q) : null);

/** What the admin API and the users CLI do to accounts, knowing nothing of either. */
export function createUserAdminService(
  db: Database,
  sessions: SessionStateService,
  refreshTokens: RefreshTokenService,
  users: Pick<UserService, 'endAllSessions'>,
  clock: Clock,
): UserAdminService {
  function idOf(userId: string): string {
    if (!USER_ID.test(userId)) throw userNotFound();
    return userId.toLowerCase();
  }

  async function existing(userId: string): Promise<AdminUser> {
    const user = await db.User.findByPk(idOf(userId));
    if (!user) throw userNotFound();
    return toAdminUser(user);
  }

  return {
    async list({ limit, cursor, q }) {
      const afterKey = cursor == null ? null : decodeCursor(cursor);
      if (cursor != null && afterKey === null) throw new InvalidCursor('cursor is not one this server handed out');
      const prefix = q ? keyPrefix(q) : null;
      if (q && prefix === null) return { users: [], nextCursor: null };
      // One row more than asked: whether it exists tells a full last page from one with more behind it.
      const rows = await listUsers(db, { limit: limit + 1, afterKey, keyPrefix: prefix });
      const page = rows.slice(0, limit);
      return { users: page.map(toAdminUser), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1].usernameKey) : null };
    },

    get: existing,

    async findByUsername(username) {
      if (!USERNAME_PATTERN.test(username)) return null;
      const user = await db.User.findOne({ where: { usernameKey: usernameKey(username) } });
      return user ? toAdminUser(user) : null;
    },

    async update(userId, change) {
      const id = idOf(userId);
      const changed = await applyAccountChange(db, id, change, clock.now());
      // Plain SQL runs no model hook: drop the cached session state here, after the write.
      sessions.forget(id);
      if (!changed) {
        await existing(id);
        throw new LastAdmin('This would leave no enabled admin.');
      }
      if (change.disabled === true) await refreshTokens.revokeAllOf(id);
      return existing(id);
    },

    async revokeSessions(userId) {
      await users.endAllSessions((await existing(userId)).id);
    },
  };
}
