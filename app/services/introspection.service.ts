import { epochSeconds } from '../clock';
import type { AccessTokenClaims, AccessTokenService } from './access-token.service';
import { AccessTokenRefused } from './errors';
import type { RefreshTokenService } from './refresh-token.service';
import type { SessionState, SessionStateService } from './session-state.service';

export type TokenTypeHint = 'access_token' | 'refresh_token';

/**
 * RFC 7662 section 2.2. `token_type` names the kind of token, `access_token` or
 * `refresh_token`, as the token_type_hint values do (RFC 7009 section 4.1.2), so a
 * resource server can refuse a refresh token presented as a bearer token.
 */
export interface ActiveAccessToken extends Omit<AccessTokenClaims, 'ver'> {
  active: true;
  token_type: 'access_token';
  username: string;
}

export interface ActiveRefreshToken {
  active: true;
  token_type: 'refresh_token';
  sub: string;
  /** When the token stops being usable: its expiry or its session's end, whichever comes first. */
  exp: number;
}

/** Everything not active is said the same way (RFC 7662 section 2.2): nothing tells why. */
export type Introspection = ActiveAccessToken | ActiveRefreshToken | { active: false };

export interface IntrospectionService {
  /**
   * What a token is, if it is one this server would accept now: an access token the
   * guard would let through, or a refresh token rotation would exchange. The hint
   * only decides which kind is looked for first (RFC 7662 section 2.1). Changes nothing.
   */
  introspect(token: string, hint?: TokenTypeHint): Promise<Introspection>;
}

/**
 * The guard's session check (app/auth/strategies/jwt.strategy.ts): the user exists
 * and is enabled, no logout-all or password change since the token was issued, and
 * the role is still the token's (after a role change the guard calls it stale).
 */
function sessionStands(state: SessionState | null, { ver, roles }: AccessTokenClaims): state is SessionState {
  return state !== null && !state.disabled && state.sessionVersion === ver && roles?.length === 1 && roles[0] === state.role;
}

/**
 * Token introspection for resource servers: the same verdicts as the server's own
 * guard and rotation, read from the same services.
 */
export function createIntrospectionService(accessTokens: AccessTokenService, sessions: SessionStateService, refreshTokens: RefreshTokenService): IntrospectionService {
  async function asAccessToken(token: string): Promise<ActiveAccessToken | null> {
    let claims: AccessTokenClaims;
    try {
      claims = await accessTokens.verify(token);
    } catch (error) {
      if (error instanceof AccessTokenRefused) return null;
      throw error;
    }
    let state = await sessions.get(claims.sub);
    // As the guard does: a copy read before the token was issued may predate a change
    // another process made (the users CLI re-enabling the user, say); read it again.
    if (!sessionStands(state, claims)) state = await sessions.get(claims.sub, { loadedSince: (claims.iat + 1) * 1000 });
    if (!sessionStands(state, claims)) return null;
    const { sub, roles, exp, iat, iss, aud, jti } = claims;
    return { active: true, token_type: 'access_token', sub, username: state.username, roles, exp, iat, iss, aud, jti };
  }

  async function asRefreshToken(token: string): Promise<ActiveRefreshToken | null> {
    const live = await refreshTokens.inspect(token);
    return live && { active: true, token_type: 'refresh_token', sub: live.userId, exp: epochSeconds(live.usableUntil) };
  }

  return {
    async introspect(token, hint) {
      const lookups = hint === 'refresh_token' ? [asRefreshToken, asAccessToken] : [asAccessToken, asRefreshToken];
      for (const lookup of lookups) {
        const found = await lookup(token);
        if (found) return found;
      }
      return { active: false };
    },
  };
}
