import { escapeHtml } from './html';

/**
 * The mail a "Forgot password?" request sends to a verified address. The link is
 * the only secret in it, and the token sits in its fragment (`#/reset?token=…`):
 * a browser never sends a fragment to a server, so it reaches no access log and no
 * Referer header; the page reads it and POSTs it to /auth/password/reset.
 */
export function passwordResetMail({ username, link, ttlSeconds }: { username: string; link: string; ttlSeconds: number }) {
  const minutes = Math.max(1, Math.round(ttlSeconds / 60));
  const subject = 'Reset your password';
  const text = [
    `Hello ${username},`,
    '',
    'Someone (we hope you) asked to reset the password of this account. To choose a new password, open this link:',
    '',
    link,
    '',
    `The link works once, for ${minutes} minutes. Asking again makes this one stop working.`,
    'If you did not ask, ignore this mail: your password stays as it is.',
  ].join('\n');
  const html = [
    `<p>Hello ${escapeHtml(username)},</p>`,
    '<p>Someone (we hope you) asked to reset the password of this account. To choose a new password, open this link:</p>',
    `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    `<p>The link works once, for ${minutes} minutes. Asking again makes this one stop working.</p>`,
    '<p>If you did not ask, ignore this mail: your password stays as it is.</p>',
  ].join('\n');
  return { subject, text, html };
}
