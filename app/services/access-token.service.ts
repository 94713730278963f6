import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../../config';
import { Clock, epochSeconds } from '../clock';

/** The header `typ` of our access tokens (RFC 9068, RFC 8725 section 3.11 explicit typing). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  sub: string;
  ver: number;
  /** RFC 9068 section 7.2, for other services. This app authorizes by the user's live role, never by this claim. */
  roles: string[];
  iat: number;
  exp: number;
  jti: string;
  iss: string;
  aud: string;
}

export interface AccessTokenService {
  /** The key and checks the passport-jwt strategy verifies with. */
  readonly key: KeyObject;
  readonly verifyOptions: jwt.VerifyOptions & { complete: true };
  /** A token for the subject, living ACCESS_TOKEN_TTL (or `ttl` seconds, for the test kit). */
  sign(subject: { id: string; sessionVersion: number; role: string }, options?: { ttl?: number }): { token: string; expiresIn: number };
  /** Whether a token with this `exp` (seconds) has expired on this service's clock, by jsonwebtoken's rule (expired from `exp` on). */
  hasExpired(exp: number): boolean;
}

/**
 * Signs access JWTs. The secret is turned into a KeyObject once: jsonwebtoken
 * re-derives a key from a string on every call, which costs more than the HMAC.
 * Verification pins the algorithm, issuer, audience and `typ`.
 */
export function createAccessTokenService(config: Readonly<Config>, clock: Clock): AccessTokenService {
  const key = createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
  const { issuer, audience } = config.jwt;

  return {
    key,
    verifyOptions: { algorithms: [ALGORITHM], issuer, audience, complete: true },
    sign({ id, sessionVersion, role }, { ttl = config.accessTokenTtl } = {}) {
      const iat = epochSeconds(clock.now());
      const claims: AccessTokenClaims = {
        sub: id,
        ver: sessionVersion,
        roles: [role],
        iat,
        exp: iat + ttl,
        jti: randomUUID(),
        iss: issuer,
        aud: audience,
      };
      const token = jwt.sign(claims, key, { algorithm: ALGORITHM, header: { alg: ALGORITHM, typ: ACCESS_TOKEN_TYPE } });
      return { token, expiresIn: ttl };
    },
    hasExpired: (exp) => epochSeconds(clock.now()) >= exp,
  };
}
