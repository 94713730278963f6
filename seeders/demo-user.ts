import type { Database } from '../models';
import type { PasswordService } from '../app/services/password.service';
import { usernameKey } from '../app/services/user.service';

/** The demo account of the original FastAPI seed, for development only. */
export const DEMO_USER = { username: 'johndoe', password: 'secret', email: 'johndoe@example.com' };

/**
 * Creates johndoe/secret unless a user of that name exists. Idempotent. It writes
 * through the model, not the registration service, because "secret" would fail the
 * password policy (app/validators) that real sign-ups must pass.
 */
export async function seedDemoUser(db: Database, passwords: PasswordService): Promise<boolean> {
  const key = usernameKey(DEMO_USER.username);
  if (await db.User.findOne({ where: { usernameKey: key } })) return false;
  const [, created] = await db.User.findOrCreate({
    where: { usernameKey: key },
    defaults: { username: DEMO_USER.username, usernameKey: key, email: DEMO_USER.email, passwordHash: await passwords.hash(DEMO_USER.password) },
  });
  return created;
}
