import express, { Express } from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createApp, createServices, Services } from '../../app';
import { createPassport } from '../../app/auth/passport';
import { LastAdmin } from '../../app/services/errors';
import { loadConfig } from '../../config';
import { requireAccessToken } from '../../middleware/authenticate';
import { errorHandler } from '../../middleware/error-handler';
import { requirePermission } from '../../middleware/require-permission';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';
import { DIALECTS, TEST_ENV } from '../helpers/app';
import { createPostgresDatabase, PostgresDatabase } from '../helpers/postgres';
import { createUser, login } from '../factories/user.factory';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe.each(DIALECTS)('roles and disabled accounts (%s)', (dialect) => {
  let postgres: PostgresDatabase | null = null;
  let db: Database;
  let services: Services;
  let app: Express;
  /** The server's own guards on a route of this test's own. */
  let guarded: Express;

  beforeAll(async () => {
    postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    const config = loadConfig({ ...TEST_ENV, ...(postgres ? { DATABASE_URL: postgres.url } : {}) });
    db = await openDatabase(config.database);
    await migrate(db.sequelize);
    services = createServices({ config, db });
    app = createApp({ config, db, services });
    guarded = express()
      .get('/manage', requireAccessToken(createPassport(services)), requirePermission('users:manage'), (req, res) => {
        res.json({ id: req.user!.id, role: req.user!.role });
      })
      .use(errorHandler);
  });
  afterAll(async () => {
    await db.sequelize.close();
    await postgres?.drop();
  });

  async function admin() {
    const created = await createUser(db);
    await services.userAdmin.update(created.user.id, { role: 'admin' });
    return created;
  }

  describe('requirePermission', () => {
    it('lets a user whose role has the permission through, with req.user carrying the live role', async () => {
      const { user, username, password } = await admin();
      const tokens = await login(app, username, password);
      const res = await request(guarded).get('/manage').set(bearer(tokens.access_token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: user.id, role: 'admin' });
    });

    it('responds 403 insufficient_scope with an RFC 6750 challenge to a role without it', async () => {
      const { username, password } = await createUser(db);
      const tokens = await login(app, username, password);
      const res = await request(guarded).get('/manage').set(bearer(tokens.access_token));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'insufficient_scope', error_description: expect.any(String), code: 'forbidden' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="auth-server", error="insufficient_scope", error_description="[^"]+", scope="users:manage"$/);
    });

    it('still answers a missing or bad token with the 401 of requireAccessToken', async () => {
      expect((await request(guarded).get('/manage')).status).toBe(401);
      const bad = await request(guarded).get('/manage').set(bearer('not.a.token'));
      expect({ status: bad.status, code: bad.body.code }).toEqual({ status: 401, code: 'token_invalid' });
    });
  });

  describe('a role change', () => {
    it('puts the role in the access token (RFC 9068 roles), refuses earlier tokens as stale, and a refresh carries the new role', async () => {
      const { user, username, password } = await createUser(db);
      const before = await login(app, username, password);
      expect(jwt.decode(before.access_token)).toMatchObject({ roles: ['user'] });

      await services.userAdmin.update(user.id, { role: 'admin' });
      const stale = await request(guarded).get('/manage').set(bearer(before.access_token));
      expect({ status: stale.status, code: stale.body.code }).toEqual({ status: 401, code: 'token_stale' });

      const refreshed = await request(app).post('/token/refresh').send({ refresh_token: before.refresh_token }).expect(200);
      expect(jwt.decode(refreshed.body.access_token)).toMatchObject({ roles: ['admin'] });
      expect((await request(guarded).get('/manage').set(bearer(refreshed.body.access_token))).status).toBe(200);
    });

    it('authorizes by the live role, never by the token claim: a demoted admin is refused at once', async () => {
      const { user, username, password } = await admin();
      await admin(); // so the demotion is not of the last admin
      const tokens = await login(app, username, password);
      await services.userAdmin.update(user.id, { role: 'user' });
      const res = await request(guarded).get('/manage').set(bearer(tokens.access_token));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_stale');
    });
  });

  describe('a disabled account', () => {
    it('is refused everywhere at once, tells only a right password so, and logs in again once enabled (earlier sessions stay ended)', async () => {
      const { user, username, password } = await createUser(db);
      const tokens = await login(app, username, password);
      await services.userAdmin.update(user.id, { disabled: true });

      const guardedCall = await request(app).get('/protected').set(bearer(tokens.access_token));
      expect({ status: guardedCall.status, code: guardedCall.body.code }).toEqual({ status: 401, code: 'account_disabled' });
      const refreshed = await request(app).post('/token/refresh').send({ refresh_token: tokens.refresh_token });
      expect({ status: refreshed.status, error: refreshed.body.error, code: refreshed.body.code }).toEqual({ status: 401, error: 'invalid_grant', code: 'account_disabled' });

      const right = await request(app).post('/token').send({ username, password });
      expect({ status: right.status, code: right.body.code }).toEqual({ status: 403, code: 'account_disabled' });
      const wrong = await request(app).post('/token').send({ username, password: 'not the password at all' });
      const unknown = await request(app).post('/token').send({ username: 'nobody-by-this-name', password: 'not the password at all' });
      expect({ status: wrong.status, body: wrong.body }).toEqual({ status: unknown.status, body: unknown.body });

      await services.userAdmin.update(user.id, { disabled: false });
      expect((await request(app).post('/token').send({ username, password })).status).toBe(200);
      expect((await request(app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
      expect((await request(app).get('/protected').set(bearer(tokens.access_token))).status).toBe(401);
    });
  });

  describe('revoking a user’s sessions', () => {
    it('refuses their refresh tokens and earlier access tokens at once, and leaves logins working', async () => {
      const { user, username, password } = await createUser(db);
      const tokens = await login(app, username, password);
      await services.userAdmin.revokeSessions(user.id);
      expect((await request(app).get('/protected').set(bearer(tokens.access_token))).body.code).toBe('token_revoked');
      expect((await request(app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
      expect((await request(app).post('/token').send({ username, password })).status).toBe(200);
    });
  });

  describe('the last enabled admin', () => {
    it('cannot be demoted or disabled', async () => {
      await db.User.update({ role: 'user' }, { where: { role: 'admin' } });
      const { user } = await admin();
      await expect(services.userAdmin.update(user.id, { role: 'user' })).rejects.toBeInstanceOf(LastAdmin);
      await expect(services.userAdmin.update(user.id, { disabled: true })).rejects.toBeInstanceOf(LastAdmin);
      expect(await db.User.findByPk(user.id)).toMatchObject({ role: 'admin', disabledAt: null });
    });

    it('survives two admins demoting or disabling each other at the same moment, many times over', async () => {
      for (let round = 0; round < 15; round += 1) {
        await db.User.update({ role: 'user' }, { where: { role: 'admin' } });
        const [a, b] = [await admin(), await admin()];
        const outcomes = await Promise.allSettled([
          services.userAdmin.update(a.user.id, round % 2 ? { disabled: true } : { role: 'user' }),
          services.userAdmin.update(b.user.id, { role: 'user' }),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(rejected.reason).toBeInstanceOf(LastAdmin);
        expect(await db.User.count({ where: { role: 'admin', disabledAt: null } })).toBe(1);
      }
    });
  });
});
