/**
 * The admin listing's page cursor: opaque to clients, and to this server the
 * username_key the previous page ended with. Versioned ("k1:") so its form can change
 * without old cursors being misread; anything this server did not hand out (other
 * bytes, another encoding of the same bytes, a key no username folds to) is refused.
 */
const PREFIX = 'k1:';
const KEY = /^[a-z0-9_.-]{3,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]{1,64}$/;

export const encodeCursor = (usernameKey: string): string => Buffer.from(`${PREFIX}${usernameKey}`, 'utf8').toString('base64url');

/** The username_key a cursor continues after, or null when it is not a cursor of ours. */
export function decodeCursor(cursor: string): string | null {
  if (!BASE64URL.test(cursor)) return null;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return null;
  const key = text.slice(PREFIX.length);
  return KEY.test(key) && encodeCursor(key) === cursor ? key : null;
}
