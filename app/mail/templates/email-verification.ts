import { describeDuration, escapeHtml, htmlDocument, MailContent } from './html';

/**
 * The mail that confirms an address: sent at registration, on a resend and to a
 * new address. The link (PUBLIC_URL/#/verify?token=…) is its only secret; the
 * token sits in the fragment, so it never reaches a server log or a Referer header.
 */
export function emailVerificationMail(input: { username: string; link: string; ttlSeconds: number }): MailContent {
  const { username, link, ttlSeconds } = input;
  const lifetime = describeDuration(ttlSeconds);
  return {
    subject: 'Confirm your email address',
    text: [
      `Hello ${username},`,
      '',
      'Please confirm that this address belongs to your account by opening this link:',
      '',
      link,
      '',
      `The link works once, for ${lifetime}. If you did not ask for it, ignore this mail: the address stays unconfirmed.`,
      '',
    ].join('\n'),
    html: htmlDocument([
      `Hello ${escapeHtml(username)},`,
      'Please confirm that this address belongs to your account by opening this link:',
      `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`,
      `The link works once, for ${escapeHtml(lifetime)}. If you did not ask for it, ignore this mail: the address stays unconfirmed.`,
    ]),
  };
}
