import { UniqueConstraintError } from 'sequelize';
import type { Config } from '../../config';
import type { Database, UserRow } from '../../models';
import { consumeAccountToken, revokeAccountTokens } from '../../models/account-token.queries';
import type { Clock } from '../clock';
import { hashAccountToken, newAccountToken } from '../mail/account-token';
import type { Outbox } from '../mail/outbox';
import { emailChangedMail } from '../mail/templates/email-changed';
import { emailVerificationMail } from '../mail/templates/email-verification';
import { CallerSessionEnded, EmailAlreadyVerified, EmailTaken, InvalidAccountToken, NoEmail, PasswordIncorrect } from './errors';
import type { PasswordService } from './password.service';
import { emailKey, isEmailConflict, RegistrationMail } from './user.service';

export interface EmailService extends RegistrationMail {
  /**
   * Follows a verification link: uses its token (once) and marks the address it was
   * sent to verified, if that is still the account's address. Anything else is
   * InvalidAccountToken, one refusal for every reason.
   */
  verify(token: string): Promise<void>;
  /** Mails the account's unverified address a new link; every earlier link stops working. */
  resend(userId: string): Promise<void>;
  /**
   * Verifies the current password, then makes `email` the account's address,
   * unverified: every earlier link stops working, the new address gets a link and
   * the old one a notice. `caller` is the session the request was authenticated
   * with: if it ended meanwhile, nothing changes.
   */
  change(caller: { id: string; sessionVersion: number }, email: string, currentPassword: string): Promise<UserRow>;
}

/**
 * Verified addresses. The token of a link lives in the row of the mail that
 * delivers it (app/mail/outbox.ts), so a link is written exactly when its mail is.
 * `outbox` is null with MAIL_DISABLED: addresses are still kept and changed, and
 * no mail is written.
 */
export function createEmailService(deps: { db: Database; outbox: Outbox | null; passwords: PasswordService; clock: Clock; config: Readonly<Config> }): EmailService {
  const { db, outbox, passwords, clock, config } = deps;
  const { User } = db;

  /** Writes a verification mail for the account's current address; returns its id (0 without mail). */
  async function queueVerification(user: UserRow, email: string): Promise<number> {
    if (!outbox) return 0;
    const { token, hash } = newAccountToken();
    const now = clock.now();
    const content = emailVerificationMail({ username: user.username, link: `${config.publicUrl}/#/verify?token=${token}`, ttlSeconds: config.mail.emailVerifyTtl });
    return outbox.queue({
      recipient: email,
      ...content,
      token: { hash, purpose: 'email_verification', userId: user.id, email, expiresAt: new Date(now.getTime() + config.mail.emailVerifyTtl * 1000) },
    });
  }

  /** A new link, then every older one revoked: of several requests at once, the newest link is the one left. */
  async function replaceVerification(user: UserRow, email: string): Promise<void> {
    const id = await queueVerification(user, email);
    await revokeAccountTokens(db, user.id, 'email_verification', clock.now(), outbox ? id : undefined);
  }

  return {
    async sendVerification(user) {
      if (user.email !== null) await queueVerification(user, user.email);
    },

    async verify(token) {
      const now = clock.now();
      const used = await consumeAccountToken(db, hashAccountToken(token), 'email_verification', now);
      const invalid = new InvalidAccountToken('This link is invalid or has expired; ask for a new one.');
      if (!used) throw invalid;
      // Only while the address the link was sent to is still the account's (compared as the unique key, so
      // a new spelling of one mailbox keeps its links). A change revokes links; this condition also covers
      // a change that lands between the token's use and this statement.
      const [count] = await User.update({ emailVerifiedAt: now }, { where: { id: used.userId, emailKey: emailKey(used.email) } });
      if (count === 0) throw invalid;
    },

    async resend(userId) {
      const user = await User.findByPk(userId);
      if (!user) throw new CallerSessionEnded('The user of this token no longer exists.');
      if (user.email === null) throw new NoEmail('This account has no email address to verify; set one first.');
      if (user.emailVerifiedAt !== null) throw new EmailAlreadyVerified('This account’s email address is verified already.');
      await replaceVerification(user, user.email);
    },

    async change({ id, sessionVersion }, email, currentPassword) {
      const user = await User.findByPk(id);
      if (!user || user.sessionVersion !== sessionVersion) throw new CallerSessionEnded('This token was revoked; log in again.');
      if (!(await passwords.verify(user.passwordHash, currentPassword)).ok) throw new PasswordIncorrect('The current password is incorrect.');
      const previous = user.email;
      const key = emailKey(email);
      // The same mailbox, written another way: the new spelling is kept, and so is its verification.
      const sameMailbox = previous !== null && emailKey(previous) === key;
      const changes = sameMailbox ? { email } : { email, emailKey: key, emailVerifiedAt: null };
      try {
        const [count] = await User.update(changes, { where: { id, sessionVersion } });
        if (count === 0) throw new CallerSessionEnded('This token was revoked; log in again.');
      } catch (error) {
        if (error instanceof UniqueConstraintError && isEmailConflict(error)) throw new EmailTaken('That email address belongs to another account.');
        throw error;
      }
      await user.reload();
      if (sameMailbox) return user;
      await replaceVerification(user, email);
      if (previous !== null && outbox) {
        await outbox.queue({ recipient: previous, ...emailChangedMail({ username: user.username, newEmail: email, changedAt: clock.now() }) });
      }
      return user;
    },
  };
}
