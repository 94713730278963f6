import { escapeHtml, htmlDocument, MailContent } from './html';

/**
 * "j***@example.com": enough for the owner of the old address to recognise an
 * address of their own, too little to hand whoever reads the old mailbox (a
 * mailbox that may be the reason for the change) the new one in full.
 */
export function maskAddress(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  return `${[...local][0] ?? ''}***${email.slice(at)}`;
}

/**
 * The notice to an account's former address after a change (OWASP: tell the old
 * address). A notice only: no link, nothing in it undoes the change, so it is
 * worth nothing to someone who reads the old mailbox.
 */
export function emailChangedMail(input: { username: string; newEmail: string; changedAt: Date }): MailContent {
  const { username, newEmail, changedAt } = input;
  const when = changedAt.toUTCString();
  const masked = maskAddress(newEmail);
  const sentence = `The email address of your account ${username} was changed to ${masked} on ${when}.`;
  const advice = 'If you made this change, there is nothing to do. If you did not, someone may know your password: contact the operator of this service.';
  return {
    subject: 'Your email address was changed',
    text: [`Hello ${username},`, '', sentence, '', advice, ''].join('\n'),
    html: htmlDocument([`Hello ${escapeHtml(username)},`, escapeHtml(sentence), escapeHtml(advice)]),
  };
}
