import { createHmac, KeyObject, sign } from 'node:crypto';
import type { JwtAlgorithm } from '../../config/signing';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A JWS in compact serialization (RFC 7515 section 7.1), signed synchronously:
 * jose signs asynchronously only, and a token is signed inside request handlers
 * and the test kit's `accessTokenFor`, which stays a plain function. Signing is
 * this much; verification, where the pitfalls are, is jose's (access-token.service.ts).
 */
export function signCompact(header: { alg: JwtAlgorithm; typ: string; kid?: string }, payload: object, key: KeyObject): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${signature(header.alg, input, key).toString('base64url')}`;
}

function signature(alg: JwtAlgorithm, input: string, key: KeyObject): Buffer {
  switch (alg) {
    case 'HS256':
      return createHmac('sha256', key).update(input).digest();
    case 'RS256':
      return sign('sha256', Buffer.from(input), key);
    case 'ES256':
      // JWS wants the raw r || s pair (RFC 7518 section 3.4), not Node's default DER.
      return sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, Buffer.from(input), key);
  }
}
