import type { AccessTokenService } from './access-token.service';
import type { RefreshTokenService } from './refresh-token.service';
import type { SessionStateService } from './session-state.service';
import { invalidRefreshToken } from '../errors';

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
  issueFor(user: { id: string; sessionVersion: number }): Promise<TokenPair>;
  /** Rotation: the refresh token's successor and an access token for its user. */
  refresh(refreshToken: string): Promise<TokenPair>;
}

export function createTokenService(
  accessTokens: AccessTokenService,
  refreshTokens: RefreshTokenService,
  sessions: SessionStateService,
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
      const refresh = await refreshTokens.issue(user.id);
      return pair(accessTokens.sign(user), refresh);
    },
    async refresh(refreshToken) {
      const refresh = await refreshTokens.rotate(refreshToken);
      const state = await sessions.get(refresh.userId);
      if (!state) throw invalidRefreshToken('token_revoked', 'The user no longer exists.');
      return pair(accessTokens.sign(state), refresh);
    },
  };
}
