import { createHash, timingSafeEqual } from 'node:crypto';
import type { IntrospectionClient } from '../../config/introspection-clients';

/** A client id and secret as a caller presented them. */
export interface ClientCredentials {
  name: string;
  secret: string;
}

// RFC 7617 section 2: "Basic" (any case), one or more spaces, the base64 token68.
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2})$/i;
// Far above any configured name and secret, so a huge header costs no decoding.
const MAX_HEADER_LENGTH = 2048;

/** application/x-www-form-urlencoded decoding of one value; null for a broken escape. */
function formDecode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/**
 * The credentials of an `Authorization: Basic` header, or null. RFC 7617 joins
 * user-id and password with the first colon; RFC 6749 section 2.3.1 has OAuth
 * clients form-encode each before joining, so they are decoded after splitting
 * (a secret may hold a colon, "+" or "%" that way).
 */
export function basicCredentials(header: string | undefined): ClientCredentials | null {
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return null;
  const match = BASIC.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const name = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return name === null || secret === null ? null : { name, secret };
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Which configured client the credentials are, or null. Every client is compared,
 * name and secret both, in constant time: the values are hashed to one length for
 * timingSafeEqual, and nothing stops at the first mismatch, so the time taken says
 * nothing of how close a guess came, nor whether the name alone was right.
 */
export function clientMatcher(clients: readonly IntrospectionClient[]): (credentials: ClientCredentials) => string | null {
  const known = clients.map((client) => ({ name: client.name, nameDigest: digest(client.name), secretDigest: digest(client.secret) }));
  return function matchClient({ name, secret }) {
    const nameDigest = digest(name);
    const secretDigest = digest(secret);
    let found: string | null = null;
    for (const client of known) {
      const same = Number(timingSafeEqual(client.nameDigest, nameDigest)) & Number(timingSafeEqual(client.secretDigest, secretDigest));
      if (same === 1) found = client.name;
    }
    return found;
  };
}
