import { Strategy as LocalStrategy } from 'passport-local';
import type { UserService } from '../../services/user.service';
import type { RefusalInfo } from '../types';

/**
 * Username and password from the body (form or JSON). Passport's three outcomes:
 * a database fault goes to done(err) and becomes a 5xx; wrong credentials are
 * done(null, false, info), the same info for unknown users and wrong passwords.
 */
export function createLocalStrategy(users: UserService): LocalStrategy {
  return new LocalStrategy({ usernameField: 'username', passwordField: 'password', session: false }, function verify(username, password, done) {
    users.checkCredentials(username, password).then(
      (user) => {
        if (user && !user.disabled) return done(null, { id: user.id, username: user.username, sessionVersion: user.sessionVersion, role: user.role });
        // A disabled account is said only once the password was right: a wrong one gets the same answer either way.
        const info: RefusalInfo = user
          ? { code: 'account_disabled', message: 'This account is disabled.' }
          : { code: 'invalid_credentials', message: 'The username or password is incorrect.' };
        return done(null, false, info);
      },
      (error: unknown) => done(error),
    );
  });
}
