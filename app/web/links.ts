/**
 * The links the server mails lead to this page with their token in the fragment:
 * PUBLIC_URL/#/verify?token=… (confirm an address) and PUBLIC_URL/#/reset?token=…
 * (choose a new password). A fragment never reaches a server log or a Referer
 * header. The page reads the token and at once takes the fragment out of the
 * address bar, and so out of this history entry, before using it.
 */

export interface AccountLink {
  kind: 'verify' | 'reset';
  /** '' when the link lost its token (a mail client cut it): the page treats it as an invalid link. */
  token: string;
  /** A reset link names its account, so the login form after the reset is filled in; '' when absent. */
  username: string;
}

const LINK = /^#\/(verify|reset)(?:\?(.*))?$/;

/** The account link in the address bar, now removed from it; null when the address holds none. */
export function takeAccountLink(): AccountLink | null {
  const match = LINK.exec(location.hash);
  if (!match) return null;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  const query = new URLSearchParams(match[2] ?? '');
  return { kind: match[1] as AccountLink['kind'], token: query.get('token') ?? '', username: query.get('username') ?? '' };
}
