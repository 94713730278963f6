import { Jwt, JwtPayload } from 'jsonwebtoken';
import { Strategy as JwtStrategy, VerifiedCallback } from 'passport-jwt';
import { ACCESS_TOKEN_TYPE, AccessTokenService } from '../../services/access-token.service';
import type { SessionStateService } from '../../services/session-state.service';
import { bearerTokenFromHeader } from '../bearer';
import type { RefusalInfo } from '../types';

/**
 * Guards private routes. passport-jwt checks signature, algorithm (HS256 only),
 * issuer, audience and expiry; this verify callback adds what the signature cannot
 * know: the token is an access token (`typ`), its user still exists, and its
 * session version is current (no password change or logout-all since it was issued).
 * The version comes from memory, not from a query per request.
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
    },
    function verify(decoded: Jwt, done: VerifiedCallback) {
      const payload = decoded.payload as JwtPayload;
      const refuse = (code: RefusalInfo['code'], message: string) => done(null, false, { code, message } satisfies RefusalInfo);
      if (decoded.header.typ !== ACCESS_TOKEN_TYPE || typeof payload.sub !== 'string' || typeof payload.ver !== 'number' || typeof payload.jti !== 'string') {
        return refuse('token_invalid', 'The token is not an access token.');
      }
      const version = payload.ver;
      sessions.get(payload.sub).then(
        (state) => {
          if (!state) return refuse('token_revoked', 'The user of this token no longer exists.');
          if (state.sessionVersion !== version) return refuse('token_revoked', 'This token was revoked; log in again.');
          return done(null, state);
        },
        (error: unknown) => done(error),
      );
    },
  );
}
