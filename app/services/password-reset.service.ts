import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Database } from '../../models';
import { consumeAccountToken } from '../../models/account-token.queries';
import { findLiveAccountToken, findResetRecipient, revokeAllButNewestToken } from '../../models/password-reset.queries';
import type { Clock } from '../clock';
import { hashAccountToken, newAccountToken } from '../mail/account-token';
import type { Outbox } from '../mail/outbox';
import { passwordChangedMail } from '../mail/templates/password-changed';
import { passwordResetMail } from '../mail/templates/password-reset';
import { containsUsername } from '../validators/password-policy';
import { InvalidAccountToken, NewPasswordRefused } from './errors';
import type { PasswordService } from './password.service';
import { emailKey, UserService } from './user.service';

export interface PasswordResetService {
  /**
   * "Forgot password?": when `email` is the verified address of an enabled account,
   * mails it a reset link (and revokes the links mailed before); otherwise does
   * nothing. Takes about as long either way: see createPasswordResetService.
   */
  requestReset(email: string): Promise<void>;
  /**
   * Sets a new password with a mailed token: the token is used up, every session
   * ends, every other reset link stops working, and the owner is told by mail.
   * Throws InvalidAccountToken for any token that cannot be used, NewPasswordRefused
   * for a password that contains the account's username.
   */
  resetPassword(token: string, newPassword: string): Promise<void>;
}

export interface PasswordResetDeps {
  db: Database;
  clock: Clock;
  outbox: Outbox;
  passwords: PasswordService;
  users: UserService;
  /** PUBLIC_URL: the base of the link. */
  publicUrl: string;
  /** RESET_TOKEN_TTL, seconds. */
  tokenTtl: number;
}

/** How much each new measurement of the known-address path moves the estimate (an exponential moving average). */
const SMOOTHING = 0.2;

/**
 * Password reset by mail (OWASP Forgot Password cheat sheet).
 *
 * Timing: a request for a verified address writes the mail (one INSERT, then one
 * UPDATE revoking the older links); any other request only looks the address up.
 * The mail must be in the database before the 202 (a crash right after it must not
 * lose the link), so the writes cannot be skipped or moved after the answer.
 * Instead, the other requests wait as long as the writes take: this process keeps
 * a moving average of how long the known-address path takes, and pads every other
 * request to it. Both answers then take comparably long, and the padding follows
 * the database as it gets slower or faster.
 *
 * Addresses are compared in their lower-cased form (users.email_key).
 */
export function createPasswordResetService(deps: PasswordResetDeps): PasswordResetService {
  const { db, clock, outbox, passwords, users, publicUrl, tokenTtl } = deps;
  let knownPathMs = 0;

  async function mailResetLink(recipient: { id: string; username: string; email: string }): Promise<void> {
    const { token, hash } = newAccountToken();
    const now = clock.now();
    // The username too (the mail names it anyway), so the login form after the reset is filled in.
    const link = `${publicUrl}/#/reset?token=${token}&username=${encodeURIComponent(recipient.username)}`;
    await outbox.queue({
      recipient: recipient.email,
      ...passwordResetMail({ username: recipient.username, link, ttlSeconds: tokenTtl }),
      token: { hash, purpose: 'password_reset', userId: recipient.id, email: recipient.email, expiresAt: new Date(now.getTime() + tokenTtl * 1000) },
    });
    // After the write: of several requests at once, the last to get here sees every link written and leaves the newest.
    await revokeAllButNewestToken(db, recipient.id, 'password_reset', now);
  }

  return {
    async requestReset(email) {
      const started = performance.now();
      const recipient = await findResetRecipient(db, emailKey(email));
      if (recipient) {
        await mailResetLink(recipient);
        const took = performance.now() - started;
        knownPathMs = knownPathMs === 0 ? took : knownPathMs + SMOOTHING * (took - knownPathMs);
        return;
      }
      const wait = knownPathMs - (performance.now() - started);
      // Real time, not the injected clock: this is about what a caller can measure.
      if (wait > 0) await delay(wait);
    },

    async resetPassword(token, newPassword) {
      const hash = hashAccountToken(token);
      const invalid = () => new InvalidAccountToken('This link is invalid or has expired; ask for a new one.');
      const live = await findLiveAccountToken(db, hash, 'password_reset', clock.now());
      const user = live && (await users.findById(live.userId));
      // A link mailed to an address the account no longer has is no longer the account's.
      if (!live || !user || user.emailKey !== emailKey(live.email)) throw invalid();
      if (containsUsername(newPassword, user.username)) throw new NewPasswordRefused('new_password', 'new_password must not contain the username');
      // Hashed before the token is used: the token is spent only once everything needed to finish is
      // in hand, so the password is stored right after, and a hash that fails leaves the link usable.
      const passwordHash = await passwords.hash(newPassword);
      if (!(await consumeAccountToken(db, hash, 'password_reset', clock.now()))) throw invalid();
      await users.replacePassword(user.id, passwordHash);
      await outbox.queue({ recipient: user.email ?? live.email, ...passwordChangedMail({ username: user.username, at: clock.now() }) });
    },
  };
}
