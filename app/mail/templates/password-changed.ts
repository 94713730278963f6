import { escapeHtml } from './html';

/**
 * The notice a password reset sends to the account's address: the owner learns of
 * a reset they did not make. It carries no link and no secret.
 */
export function passwordChangedMail({ username, at }: { username: string; at: Date }) {
  const when = at.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const subject = 'Your password was changed';
  const text = [
    `Hello ${username},`,
    '',
    `The password of this account was reset through a mailed link at ${when}. Every session was logged out.`,
    'If that was not you, reset it again with "Forgot password?" at once, and check who else can read this mailbox.',
  ].join('\n');
  const html = [
    `<p>Hello ${escapeHtml(username)},</p>`,
    `<p>The password of this account was reset through a mailed link at ${escapeHtml(when)}. Every session was logged out.</p>`,
    '<p>If that was not you, reset it again with “Forgot password?” at once, and check who else can read this mailbox.</p>',
  ].join('\n');
  return { subject, text, html };
}
