import { UniqueConstraintError } from 'sequelize';
import type { Database, UserRow } from '../../models';
import { revokeAccountTokens } from '../../models/account-token.queries';
import { findCredentials, UserCredentials } from '../../models/user.queries';
import { Clock, systemClock } from '../clock';
import { USERNAME_PATTERN } from '../validators/auth.validator';
import { CallerSessionEnded, EmailTaken, PasswordIncorrect, UsernameTaken } from './errors';
import type { PasswordService } from './password.service';
import type { RefreshTokenService } from './refresh-token.service';

/** A user as the API shows it: never the hash. */
export interface UserProfile {
  id: string;
  username: string;
  email: string | null;
  /** Whether the owner of `email` has followed a verification link since it became the account's address. */
  email_verified: boolean;
  created_at: string;
}

export const toProfile = (user: UserRow): UserProfile => ({
  id: user.id,
  username: user.username,
  email: user.email,
  // emailVerifiedAt is undefined, not null, on a row just created.
  email_verified: Boolean(user.email && user.emailVerifiedAt),
  created_at: user.createdAt.toISOString(),
});

/**
 * The unique, case-insensitive form of a username. Only ASCII letters are folded:
 * String#toLowerCase would also fold the Kelvin sign (U+212A) to "k" and so on,
 * letting look-alike names reach someone else's account.
 */
export const usernameKey = (username: string): string => username.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/**
 * The unique, case-insensitive form of an address (users.email_key). ASCII letters
 * only are folded, as for usernames: full Unicode folding would turn look-alikes
 * (the Kelvin sign) into someone else's address and can make the key longer than
 * the address; SQLite's lower(), which filled the column in migration 010, folds
 * ASCII only too.
 */
export const emailKey = (email: string): string => usernameKey(email);

/** Whether a unique violation is the address's (users.email_key) rather than the username's. */
export const isEmailConflict = (error: UniqueConstraintError): boolean =>
  Object.keys(error.fields ?? {}).includes('email_key') || error.errors.some((item) => item.path === 'email_key');

/** Mail a new account's address gets (app/services/email.service.ts): in the request, so a 201 means it is written. */
export interface RegistrationMail {
  sendVerification(user: UserRow): Promise<void>;
}

export interface UserService {
  register(input: { username: string; password: string; email?: string | null }): Promise<UserRow>;
  /** The user whose password matches, or null; unknown users cost as much as wrong passwords. */
  checkCredentials(username: string, password: string): Promise<UserCredentials | null>;
  findById(id: string): Promise<UserRow | null>;
  /**
   * Verifies the current password, stores the new one, and ends every session. `caller`
   * is the session the request was authenticated with: if it ended meanwhile, nothing changes.
   */
  changePassword(caller: { id: string; sessionVersion: number }, currentPassword: string, newPassword: string): Promise<UserRow>;
  /** Ends every session: refresh tokens revoked, access tokens issued so far refused. */
  endAllSessions(userId: string): Promise<void>;
  /**
   * Stores a new password hash (made by the caller, a password reset) and ends every
   * session, as a password change does; every live reset link of the user stops working.
   */
  replacePassword(userId: string, passwordHash: string): Promise<void>;
}

export function createUserService(db: Database, passwords: PasswordService, refreshTokens: RefreshTokenService, registrationMail?: RegistrationMail, clock: Clock = systemClock): UserService {
  const { User } = db;

  /**
   * One UPDATE … SET session_version = session_version + 1, so concurrent bumps are
   * never lost. The bump alone ends every session at once: access tokens and
   * rotations both require the version a session began under (the revocation that
   * follows only marks those sessions as ended). With `expectedVersion`, nothing
   * changes unless the version is still that one; returns whether the row changed.
   */
  async function bumpSessionVersion(userId: string, changes: { passwordHash?: string } = {}, expectedVersion?: number): Promise<boolean> {
    const [count] = await User.update(
      { ...changes, sessionVersion: db.sequelize.literal('session_version + 1') as unknown as number },
      { where: expectedVersion === undefined ? { id: userId } : { id: userId, sessionVersion: expectedVersion } },
    );
    return count > 0;
  }

  return {
    async register({ username, password, email }) {
      const passwordHash = await passwords.hash(password);
      let user: UserRow;
      try {
        // Stored as given, unique by its key: the unique index decides, also between two registrations at once.
        user = await User.create({ username, usernameKey: usernameKey(username), email: email ?? null, emailKey: email ? emailKey(email) : null, passwordHash });
      } catch (error) {
        if (error instanceof UniqueConstraintError) {
          if (isEmailConflict(error)) throw new EmailTaken('That email address belongs to another account.');
          throw new UsernameTaken('That username is not available.');
        }
        throw error;
      }
      // Two statements, not one: should the mail's fail, the account stands with its address unverified, and a resend mends it.
      if (user.email !== null) await registrationMail?.sendVerification(user);
      return user;
    },

    async checkCredentials(username, password) {
      // A name registration could never have accepted (control characters, NUL, look-alike
      // letters) matches no one; it is not even sent to the database, where a NUL
      // would break the statement. It still pays for the dummy verification below.
      const user = USERNAME_PATTERN.test(username) ? await findCredentials(db, usernameKey(username)) : null;
      const { ok, rehash } = await passwords.verify(user?.passwordHash ?? null, password);
      if (!user || !ok) return null;
      if (rehash) {
        // The configured cost went up since this hash was made, or it was made before passwords were
        // normalised: replace it while we hold the password, unless the password changed while we
        // hashed (the new hash would bring the old password back).
        await User.update({ passwordHash: await passwords.hash(password, user.passwordHash) }, { where: { id: user.id, passwordHash: user.passwordHash }, hooks: false });
      }
      return user;
    },

    findById: (id) => User.findByPk(id),

    async changePassword({ id: userId, sessionVersion }, currentPassword, newPassword) {
      const user = await User.findByPk(userId);
      if (!user) throw new CallerSessionEnded('The user of this token no longer exists.');
      if (user.sessionVersion !== sessionVersion) throw new CallerSessionEnded('This token was revoked; log in again.');
      if (!(await passwords.verify(user.passwordHash, currentPassword)).ok) {
        throw new PasswordIncorrect('The current password is incorrect.');
      }
      // Only while the sessions this request was checked against are still the user's: a concurrent
      // password change or logout-all ended this caller's session, and its answer is the same as for any ended session.
      if (!(await bumpSessionVersion(userId, { passwordHash: await passwords.hash(newPassword) }, sessionVersion))) {
        throw new CallerSessionEnded('This token was revoked; log in again.');
      }
      await refreshTokens.revokeAllOf(userId);
      // A reset link mailed before the change would otherwise still set another password.
      await revokeAccountTokens(db, userId, 'password_reset', clock.now());
      return user.reload();
    },

    async endAllSessions(userId) {
      await bumpSessionVersion(userId);
      await refreshTokens.revokeAllOf(userId);
    },

    async replacePassword(userId, passwordHash) {
      await bumpSessionVersion(userId, { passwordHash });
      await refreshTokens.revokeAllOf(userId);
      await revokeAccountTokens(db, userId, 'password_reset', clock.now());
    },
  };
}
