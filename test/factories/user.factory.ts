import type { Express } from 'express';
import request from 'supertest';
import type { Role } from '../../app/auth/permissions';
import { createPasswordService } from '../../app/services/password.service';
import { usernameKey } from '../../app/services/user.service';
import type { Database, UserRow } from '../../models';

const cheapPasswords = createPasswordService({ memoryCost: 1024, timeCost: 1, parallelism: 1 }, 2);
let sequence = 0;

/** An argon2id hash at the cheapest test cost (weaker than any config a test sets, so a login rehashes it). */
export const cheapHash = (password: string): Promise<string> => cheapPasswords.hash(password);

export interface TestUser {
  user: UserRow;
  username: string;
  password: string;
}

/** A user written straight to the database (no HTTP), with a unique name unless one is given; role `user` unless one is given. */
export async function createUser(db: Database, fields: { username?: string; password?: string; email?: string; role?: Role } = {}): Promise<TestUser> {
  sequence += 1;
  const username = fields.username ?? `user${sequence}_${Date.now().toString(36)}`;
  const password = fields.password ?? `Correct-horse-${sequence}-battery`;
  const user = await db.User.create({
    username,
    usernameKey: usernameKey(username),
    email: fields.email ?? null,
    passwordHash: await cheapPasswords.hash(password),
    role: fields.role ?? 'user',
  });
  return { user, username, password };
}

/** An app for supertest, or the base URL of a listening server. */
type Target = Express | string;

export interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

/** Logs in through POST /token (JSON) and returns the token pair; fails the test on anything but 200. */
export async function login(app: Target, username: string, password: string): Promise<Tokens> {
  const res = await request(app).post('/token').send({ username, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Tokens;
}

/** A user and a logged-in session of theirs. */
export async function createSession(app: Target, db: Database, fields: { username?: string; password?: string } = {}) {
  const created = await createUser(db, fields);
  return { ...created, tokens: await login(app, created.username, created.password) };
}
