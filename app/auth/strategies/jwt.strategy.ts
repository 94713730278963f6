import { Jwt, JwtPayload } from 'jsonwebtoken';
import { Strategy as JwtStrategy, VerifiedCallback } from 'passport-jwt';
import { ACCESS_TOKEN_TYPE, AccessTokenService } from '../../services/access-token.service';
import type { SessionState, SessionStateService } from '../../services/session-state.service';
import { bearerTokenFromHeader } from '../bearer';
import type { RefusalInfo } from '../types';

// Our access tokens carry exactly these header parameters. Anything else (kid, jku,
// jwk, x5u, x5c, crit, …) tries to steer key selection or processing: refuse it
// rather than ignore it (RFC 8725 sections 2.1 and 3.10; RFC 7515 section 4.1.11
// makes an unsupported `crit` invalid, which jsonwebtoken does not check).
const HEADER_PARAMETERS = new Set(['alg', 'typ']);

/**
 * What the signature check cannot know: that this is one of our access tokens.
 * jsonwebtoken accepts a token without `exp` (it would never expire) or `iat`;
 * ours always carry both, so their absence means the token is not ours.
 */
function isAccessToken(decoded: Jwt): boolean {
  const payload = decoded.payload as JwtPayload | string;
  return (
    decoded.header.typ === ACCESS_TOKEN_TYPE &&
    Object.keys(decoded.header).every((name) => HEADER_PARAMETERS.has(name)) &&
    typeof payload === 'object' &&
    typeof payload.sub === 'string' &&
    typeof payload.ver === 'number' &&
    (payload.roles === undefined || (Array.isArray(payload.roles) && payload.roles.every((role) => typeof role === 'string'))) &&
    typeof payload.jti === 'string' &&
    typeof payload.exp === 'number' &&
    typeof payload.iat === 'number'
  );
}

/**
 * Guards private routes. passport-jwt checks signature, algorithm (HS256 only),
 * issuer and audience; this verify callback checks expiry on the app's clock and
 * adds what the signature cannot know: the token is an access token (`typ`), its user still exists and is enabled,
 * its session version is current (no password change, logout-all or disable since
 * it was issued), and its role is the user's role now (after a role change a front
 * end refreshes to get a token with the new one). All of it comes from memory, not
 * from a query per request; req.user carries the live role, which guards authorize by.
 */
export function createJwtStrategy(accessTokens: AccessTokenService, sessions: SessionStateService): JwtStrategy {
  return new JwtStrategy(
    {
      jwtFromRequest: bearerTokenFromHeader,
      secretOrKey: accessTokens.key as unknown as string,
      jsonWebTokenOptions: accessTokens.verifyOptions,
      algorithms: accessTokens.verifyOptions.algorithms,
      issuer: accessTokens.verifyOptions.issuer as string,
      audience: accessTokens.verifyOptions.audience as string,
      // Expiry is checked below, on the injected clock. passport-jwt hands jsonwebtoken one options
      // object made at construction, so its own check could only use the real time, and a test
      // that moves the clock (test/kit) could never see a token expire.
      ignoreExpiration: true,
    },
    function verify(decoded: Jwt, done: VerifiedCallback) {
      const refuse = (code: RefusalInfo['code'], message: string) => done(null, false, { code, message } satisfies RefusalInfo);
      const { exp } = decoded.payload as JwtPayload;
      if (typeof exp === 'number' && accessTokens.hasExpired(exp)) return refuse('token_expired', 'The access token has expired.');
      if (!isAccessToken(decoded)) return refuse('token_invalid', 'The token is not an access token.');
      const { sub, ver: version, roles, iat } = decoded.payload as JwtPayload & { sub: string; ver: number; roles?: string[]; iat: number };
      const refusal = (state: SessionState | null): RefusalInfo | null => {
        if (!state) return { code: 'token_revoked', message: 'The user of this token no longer exists.' };
        if (state.disabled) return { code: 'account_disabled', message: 'This account is disabled.' };
        if (state.sessionVersion !== version) return { code: 'token_revoked', message: 'This token was revoked; log in again.' };
        // The claim is for other services; here it only tells whether the token predates a role change.
        if (roles?.length !== 1 || roles[0] !== state.role) return { code: 'token_stale', message: "The user's role changed since this token was issued; refresh it." };
        return null;
      };
      const accept = (state: SessionState) => done(null, { id: state.id, username: state.username, sessionVersion: state.sessionVersion, role: state.role });
      const decide = (state: SessionState | null) => {
        const refused = refusal(state);
        return refused ? refuse(refused.code, refused.message) : accept(state!);
      };
      // Usually answered from memory at once; only a user not in the cache costs a query (and a tick).
      const cached = sessions.peek(sub);
      if (cached && refusal(cached) === null) return accept(cached);
      // Refused from memory: if that copy was read before this token was issued (iat has
      // whole seconds), another process may have changed the user since, as the users CLI
      // does (a promotion, a re-enable, a revocation followed by a new login): read it again
      // before refusing. A copy read after the token was issued is trusted, so an old
      // token presented again and again costs no query.
      const loadedSince = cached === undefined ? undefined : (iat + 1) * 1000;
      sessions.get(sub, { loadedSince }).then(decide, (error: unknown) => done(error));
    },
  );
}
