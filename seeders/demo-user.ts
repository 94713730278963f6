import type { Database } from '../models';
import type { Role } from '../app/auth/permissions';
import type { PasswordService } from '../app/services/password.service';
import { emailKey, usernameKey } from '../app/services/user.service';

export interface DemoAccount {
  /** How the log and `npm run seed` name it: "demo user", "demo admin". */
  kind: string;
  username: string;
  password: string;
  email: string;
  role: Role;
}

/** The demo account of the original FastAPI seed, for development only. */
export const DEMO_USER: DemoAccount = { kind: 'user', username: 'johndoe', password: 'secret', email: 'johndoe@example.com', role: 'user' };

/** An admin for development, so the admin routes can be tried (in Swagger UI, say) on a fresh database. */
export const DEMO_ADMIN: DemoAccount = { kind: 'admin', username: 'admin', password: 'admin-secret', email: 'admin@example.com', role: 'admin' };

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [DEMO_USER, DEMO_ADMIN];

/**
 * Creates a demo account unless a user of that name exists. Idempotent. It writes
 * through the model, not the registration service, because "secret" (and
 * "admin-secret", which contains its username) would fail the password policy
 * (app/validators) that real sign-ups must pass.
 */
export async function seedDemoAccount(db: Database, passwords: PasswordService, account: DemoAccount): Promise<boolean> {
  const key = usernameKey(account.username);
  if (await db.User.findOne({ where: { usernameKey: key } })) return false;
  const [, created] = await db.User.findOrCreate({
    where: { usernameKey: key },
    defaults: { username: account.username, usernameKey: key, email: account.email, emailKey: emailKey(account.email), role: account.role, passwordHash: await passwords.hash(account.password) },
  });
  return created;
}

/** johndoe / secret alone. */
export const seedDemoUser = (db: Database, passwords: PasswordService): Promise<boolean> => seedDemoAccount(db, passwords, DEMO_USER);
