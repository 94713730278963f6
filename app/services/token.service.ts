import type { AccessTokenService } from './access-token.service';
import type { RefreshTokenService } from './refresh-token.service';

/** The body of every successful token response (RFC 6749 section 5.1). */
export interface TokenPair {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_token_expires_in: number;
}

export interface TokenService {
  /** A login: a fresh access token and a new refresh-token chain. */
  issueFor(user: { id: string; sessionVersion: number; role: string }): Promise<TokenPair>;
  /** Rotation: the refresh token's successor and an access token for its user. */
  refresh(refreshToken: string): Promise<TokenPair>;
}

export function createTokenService(
  accessTokens: AccessTokenService,
  refreshTokens: RefreshTokenService,
  now: () => Date,
): TokenService {
  function pair(access: { token: string; expiresIn: number }, refresh: { token: string; expiresAt: Date }): TokenPair {
    return {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      refresh_token: refresh.token,
      refresh_token_expires_in: Math.max(0, Math.ceil((refresh.expiresAt.getTime() - now().getTime()) / 1000)),
    };
  }

  return {
    async issueFor(user) {
      await accessTokens.ready();
      const refresh = await refreshTokens.issue(user);
      return pair(accessTokens.sign(user), refresh);
    },
    async refresh(refreshToken) {
      // Signed with the session version (and role) the rotation itself read, never one read afterwards:
      // a password change or logout-all that lands after the rotation then refuses this token too.
      const refresh = await refreshTokens.rotate(refreshToken);
      await accessTokens.ready();
      return pair(accessTokens.sign({ id: refresh.userId, sessionVersion: refresh.sessionVersion, role: refresh.role }), refresh);
    },
  };
}
