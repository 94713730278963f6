import { createHash, randomBytes } from 'node:crypto';

/** A token for a mailed link: 32 random bytes, base64url. Only its SHA-256 is ever stored. */
export function newAccountToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashAccountToken(token) };
}

/** 256 random bits need no slow hash: SHA-256 is enough to make the stored value useless to a reader. */
export const hashAccountToken = (token: string): string => createHash('sha256').update(token).digest('hex');
