import type { Strategy } from 'passport';
import type { AccessTokenClaims, AccessTokenService } from '../../services/access-token.service';
import { AccessTokenRefused } from '../../services/errors';
import type { SessionState, SessionStateService } from '../../services/session-state.service';
import { bearerTokenFromHeader } from '../bearer';
import type { AuthenticatedUser, RefusalInfo } from '../types';

/** Why a verified token's session no longer stands, or null when it does. */
function sessionRefusal(state: SessionState | null, { ver, roles }: AccessTokenClaims): RefusalInfo | null {
  if (!state) return { code: 'token_revoked', message: 'The user of this token no longer exists.' };
  if (state.disabled) return { code: 'account_disabled', message: 'This account is disabled.' };
  if (state.sessionVersion !== ver) return { code: 'token_revoked', message: 'This token was revoked; log in again.' };
  // The claim is for other services; here it only tells whether the token predates a role change.
  if (roles?.length !== 1 || roles[0] !== state.role) return { code: 'token_stale', message: "The user's role changed since this token was issued; refresh it." };
  return null;
}

const asUser = (state: SessionState): AuthenticatedUser => ({ id: state.id, username: state.username, sessionVersion: state.sessionVersion, role: state.role });

/**
 * Passport's JWT strategy for this server's access tokens: a bearer token,
 * verified by the access-token service (jose, with the key its `kid` names and
 * that key's algorithm only: app/services/access-token.service.ts), and then what
 * the signature cannot know: its user still exists and is enabled, its session
 * version is current (no password change, logout-all or disable since it was
 * issued), and its role is the user's role now (after a role change a front end
 * refreshes to get a token with the new one). All of it usually comes from memory;
 * req.user carries the live role, which guards authorize by.
 *
 * Written around jose rather than passport-jwt: passport-jwt verifies with
 * jsonwebtoken, which has no EdDSA, and only on the real time (the test kit moves a clock).
 * Passport's three outcomes stay apart: a fault is `error`, a refusal is `fail`.
 */
export function createJwtStrategy(accessTokens: AccessTokenService, sessions: SessionStateService): Strategy {
  async function check(token: string): Promise<AuthenticatedUser | RefusalInfo> {
    let claims: AccessTokenClaims;
    try {
      claims = await accessTokens.verify(token);
    } catch (error) {
      if (error instanceof AccessTokenRefused) return { code: error.code, message: error.description };
      throw error;
    }
    const cached = sessions.peek(claims.sub);
    if (cached && sessionRefusal(cached, claims) === null) return asUser(cached);
    // Refused from memory: if that copy was read before this token was issued (iat has
    // whole seconds), another process may have changed the user since, as the users CLI
    // does (a promotion, a re-enable, a revocation followed by a new login): read it again
    // before refusing. A copy read after the token was issued is trusted, so an old
    // token presented again and again costs no query.
    const loadedSince = cached === undefined ? undefined : (claims.iat + 1) * 1000;
    const state = await sessions.get(claims.sub, { loadedSince });
    return sessionRefusal(state, claims) ?? asUser(state!);
  }

  return {
    name: 'jwt',
    authenticate(req) {
      const token = bearerTokenFromHeader(req);
      if (token === null) return this.fail({ code: 'token_invalid', message: 'No bearer token.' } satisfies RefusalInfo, 401);
      check(token).then(
        (outcome) => ('code' in outcome ? this.fail(outcome, 401) : this.success(outcome)),
        (error: unknown) => this.error(error as Error),
      );
    },
  };
}
