import type { Database, UserRow } from '../../models';
import { AccountChange, applyAccountChange } from '../../models/user-admin.queries';
import type { Clock } from '../clock';
import { LastAdmin, UserNotFound } from './errors';
import type { RefreshTokenService } from './refresh-token.service';
import type { SessionStateService } from './session-state.service';

export type { AccountChange } from '../../models/user-admin.queries';

export interface UserAdminService {
  /**
   * Changes a user's role or disabled state. A role change takes effect on the
   * user's very next request (earlier access tokens are refused as stale, a refresh
   * carries the new role); disabling ends every session at once. Refuses with
   * LastAdmin a change that would leave no enabled admin, under any concurrency.
   */
  update(userId: string, change: AccountChange): Promise<UserRow>;
  /** Ends every session of the user: refresh tokens and earlier access tokens are refused at once. */
  revokeSessions(userId: string): Promise<void>;
}

/** What the admin API and the users CLI do to accounts, knowing nothing of either. */
export function createUserAdminService(db: Database, sessions: SessionStateService, refreshTokens: RefreshTokenService, clock: Clock): UserAdminService {
  async function existing(userId: string): Promise<UserRow> {
    const user = await db.User.findByPk(userId);
    if (!user) throw new UserNotFound('No user has that id.');
    return user;
  }

  return {
    async update(userId, change) {
      const changed = await applyAccountChange(db, userId, change, clock.now());
      // Plain SQL runs no model hook: drop the cached session state here, after the write.
      sessions.forget(userId);
      if (!changed) {
        await existing(userId);
        throw new LastAdmin('This would leave no enabled admin.');
      }
      if (change.disabled === true) await refreshTokens.revokeAllOf(userId);
      return existing(userId);
    },

    async revokeSessions(userId) {
      await existing(userId);
      await db.User.update({ sessionVersion: db.sequelize.literal('session_version + 1') as unknown as number }, { where: { id: userId } });
      await refreshTokens.revokeAllOf(userId);
    },
  };
}
