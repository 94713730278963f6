import passportModule, { PassportStatic } from 'passport';
import type { AccessTokenService } from '../services/access-token.service';
import type { SessionStateService } from '../services/session-state.service';
import type { UserService } from '../services/user.service';
import { createJwtStrategy } from './strategies/jwt.strategy';
import { createLocalStrategy } from './strategies/local.strategy';
import './types';

export type PassportInstance = InstanceType<PassportStatic['Authenticator']>;

/** A Passport instance of this app's own, so two apps in one process never share strategies. */
export function createPassport(deps: { users: UserService; accessTokens: AccessTokenService; sessions: SessionStateService }): PassportInstance {
  const passport = new passportModule.Authenticator();
  passport.use('local', createLocalStrategy(deps.users));
  passport.use('jwt', createJwtStrategy(deps.accessTokens, deps.sessions));
  return passport;
}
