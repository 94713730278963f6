import { randomUUID } from 'node:crypto';
import { errors, JWTPayload, jwtVerify, ProtectedHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../config';
import { JWT_ALGORITHMS } from '../../config/signing';
import { Clock, epochSeconds } from '../clock';
import { signCompact } from '../keys/jws';
import type { KeyRing } from '../keys/key-ring';
import { AccessTokenRefused } from './errors';

/** The header `typ` of our access tokens (RFC 9068, RFC 8725 section 3.11 explicit typing). */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

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
  /** Resolves once the signing keys are in memory. */
  ready(): Promise<void>;
  /** A token for the subject, living ACCESS_TOKEN_TTL (or `ttl` seconds, for the test kit). Needs the key ring ready. */
  sign(subject: { id: string; sessionVersion: number; role: string }, options?: { ttl?: number }): { token: string; expiresIn: number };
  /**
   * The claims of one of our access tokens, checked: signature under the key its
   * header names (algorithm pinned per key), `typ`, issuer, audience, the claims
   * ours always carry, and expiry on the service's clock. Throws AccessTokenRefused.
   * Says nothing of the user: whether the session still stands is the caller's check.
   */
  verify(token: string): Promise<AccessTokenClaims>;
}

/**
 * Header parameters our tokens carry. Anything else (jku, jwk, x5u, x5c, crit, …)
 * tries to steer key selection or processing: refuse it rather than ignore it
 * (RFC 8725 sections 2.1 and 3.10). `kid` only where keys have ids (the asymmetric algorithms).
 */
const HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

const invalid = (description = 'The access token is not valid.') => new AccessTokenRefused('token_invalid', description);
const expired = () => new AccessTokenRefused('token_expired', 'The access token has expired.');

/** What the signature cannot tell: that the claims are shaped as ours always are. */
function asAccessTokenClaims(payload: JWTPayload): AccessTokenClaims {
  const { sub, ver, roles, jti } = payload as Partial<AccessTokenClaims>;
  const rolesOk = roles === undefined || (Array.isArray(roles) && roles.every((role) => typeof role === 'string'));
  if (typeof sub !== 'string' || typeof ver !== 'number' || typeof jti !== 'string' || !rolesOk) throw invalid('The token is not an access token.');
  return payload as unknown as AccessTokenClaims;
}

/**
 * Signs and verifies access JWTs with the keys of `keys` (app/keys/key-ring.ts).
 * Verified tokens are remembered (bounded, per process) so a token presented again
 * costs a map lookup instead of a signature check, which for ES256 or EdDSA is most
 * of a guarded request's time. A remembered token is still refused from its `exp`
 * on, and forgotten whenever a key stops being accepted; the session check that
 * follows verification is never skipped.
 */
export function createAccessTokenService(config: Readonly<Config>, clock: Clock, keys: KeyRing): AccessTokenService {
  const { issuer, audience } = config.jwt;
  const verified = new LRUCache<string, AccessTokenClaims>({ max: 5_000 });
  keys.onChange(() => verified.clear());

  async function keyFor(header: ProtectedHeaderParameters) {
    if (!Object.keys(header).every((name) => HEADER_PARAMETERS.has(name))) throw invalid();
    const key = await keys.verificationKey(header);
    if (!key) throw invalid();
    return key.key;
  }

  async function verifySignature(token: string): Promise<AccessTokenClaims> {
    try {
      const { payload } = await jwtVerify(token, keyFor, {
        algorithms: [...JWT_ALGORITHMS],
        issuer,
        audience,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        currentDate: clock.now(),
      });
      return asAccessTokenClaims(payload);
    } catch (error) {
      if (error instanceof AccessTokenRefused) throw error;
      if (error instanceof errors.JWTExpired) throw expired();
      throw invalid();
    }
  }

  return {
    ready: () => keys.ready(),
    sign({ id, sessionVersion, role }, { ttl = config.accessTokenTtl } = {}) {
      const { alg, kid, key } = keys.signer();
      const iat = epochSeconds(clock.now());
      const claims: AccessTokenClaims = { sub: id, ver: sessionVersion, roles: [role], iat, exp: iat + ttl, jti: randomUUID(), iss: issuer, aud: audience };
      return { token: signCompact({ alg, typ: ACCESS_TOKEN_TYPE, kid }, claims, key), expiresIn: ttl };
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (epochSeconds(clock.now()) >= known.exp) throw expired();
        return known;
      }
      const claims = await verifySignature(token);
      verified.set(token, claims);
      return claims;
    },
  };
}
