/**
 * The test kit for an app's own routes: import it in your jest + supertest files.
 *
 *   const t = await createTestContext();          // fresh in-memory SQLite, migrated; the app over it
 *   const alice = await t.createUser();            // { id, username, password, role, sessionVersion }
 *   await t.loginAs(alice).get('/notes');          // a supertest agent sending alice's access token
 *   t.clock.advance('16m');                        // her token has now expired
 *   await t.close();
 *
 * Every context has a database of its own, so test files run in parallel. The app
 * is the real one (createApp with routes/app.routes.ts), with cheap argon2 and the
 * rate limits off. test/kit/example.test.ts is a whole file (the README shows it);
 * docs/app-guide.md says more.
 */
import type { Express } from 'express';
import request from 'supertest';
import type { Role } from '../../app/auth/permissions';
import type { Config, Env } from '../../config';
import { parseDurationSeconds } from '../../config/duration';
import type { Database } from '../../models';
import { createTestContext as createProjectContext, Dialect } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { createUser as createUserRow } from '../factories/user.factory';

export { fakeClock } from '../helpers/clock';
export type { FakeClock } from '../helpers/clock';

export interface KitUser {
  id: string;
  username: string;
  /** The password in clear, to log in through POST /token when a test needs a real session. */
  password: string;
  role: Role;
  sessionVersion: number;
}

export interface KitOptions {
  /** The app's clock; by default one that starts at the real time and moves only when told. */
  clock?: FakeClock;
  /** Settings as in .env (`{ ACCESS_TOKEN_TTL: '5m' }`), over the test defaults. */
  config?: Env;
  /** `postgres` runs on a fresh database of the local test server (test/helpers/postgres.ts); SQLite by default. */
  dialect?: Dialect;
}

export interface KitContext {
  /** The app, for supertest: `request(t.app).get('/health')`. */
  app: Express;
  db: Database;
  config: Readonly<Config>;
  /** `t.clock.advance('16m')`: access tokens expire, refresh tokens age, grace intervals pass. */
  clock: FakeClock;
  /** A user in the database (cheap argon2, a unique name unless given, role `user` unless given). */
  createUser(fields?: { role?: Role; username?: string; password?: string }): Promise<KitUser>;
  /** A supertest agent whose every request carries an access token of `user`, issued now (on `clock`). */
  loginAs(user: KitUser): ReturnType<typeof request.agent>;
  /**
   * An access token of `user`, signed now by the app's own access-token service:
   * the token the guards accept. `expiresIn` in the config's syntax ('1m', '90s');
   * ACCESS_TOKEN_TTL by default. It carries the user's role and session version as
   * createUser made them: after changing either, make the token again from fresh values.
   */
  accessTokenFor(user: KitUser, options?: { expiresIn?: string }): string;
  close(): Promise<void>;
}

/** A fresh database with every migration applied, the app over it, and the helpers above. */
export async function createTestContext(options: KitOptions = {}): Promise<KitContext> {
  const clock = options.clock ?? fakeClock();
  const ctx = await createProjectContext({ env: options.config, clock, dialect: options.dialect });

  function accessTokenFor(user: KitUser, { expiresIn }: { expiresIn?: string } = {}): string {
    const ttl = expiresIn === undefined ? undefined : parseDurationSeconds(expiresIn);
    if (ttl === null || ttl === 0) throw new Error(`expiresIn must be a duration of at least 1s, as in the config ("5m", "90s"); got "${expiresIn}"`);
    return ctx.services.accessTokens.sign(user, { ttl }).token;
  }

  return {
    app: ctx.app,
    db: ctx.db,
    config: ctx.config,
    clock,
    async createUser(fields = {}) {
      const { user, username, password } = await createUserRow(ctx.db, fields);
      return { id: user.id, username, password, role: user.role as Role, sessionVersion: user.sessionVersion };
    },
    loginAs: (user) => request.agent(ctx.app).set('Authorization', `Bearer ${accessTokenFor(user)}`),
    accessTokenFor,
    close: ctx.close,
  };
}
