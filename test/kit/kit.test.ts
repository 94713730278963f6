import jwt from 'jsonwebtoken';
import request from 'supertest';
import { can } from '../../app/auth/permissions';
import { MIGRATION_NAMES } from '../../models/migrate';
import { createTestContext, KitContext } from '.';

/** The test kit's own contract: what test/kit/index.ts promises an app author. */
describe('the test kit', () => {
  let t: KitContext;
  beforeAll(async () => {
    t = await createTestContext();
  });
  afterAll(() => t.close());

  describe('createTestContext', () => {
    it('gives each context a database of its own with every migration applied', async () => {
      const other = await createTestContext();
      try {
        await t.createUser({ username: 'only_here' });
        expect(await other.db.User.count({ where: { username: 'only_here' } })).toBe(0);
        const [applied] = await other.db.sequelize.query('SELECT name FROM sequelize_meta ORDER BY name');
        expect((applied as Array<{ name: string }>).map((row) => row.name)).toEqual([...MIGRATION_NAMES].sort());
      } finally {
        await other.close();
      }
    });

    it('applies settings given as in .env', async () => {
      const short = await createTestContext({ config: { ACCESS_TOKEN_TTL: '2m' } });
      try {
        const user = await short.createUser();
        const res = await request(short.app).post('/token').send({ username: user.username, password: user.password });
        expect(res.body.expires_in).toBe(120);
      } finally {
        await short.close();
      }
    });
  });

  describe('createUser', () => {
    it('makes users with unique names and cheap argon2 hashes who can log in with their password', async () => {
      const [a, b] = [await t.createUser(), await t.createUser()];
      expect(a.username).not.toBe(b.username);
      const row = await t.db.User.findByPk(a.id);
      expect(row!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=1024,p=1,t=1\$/);
      expect((await request(t.app).post('/token').send({ username: a.username, password: a.password })).status).toBe(200);
    });

    it('takes a role, a username and a password', async () => {
      const admin = await t.createUser({ role: 'admin', username: 'the_admin', password: 'an admin passphrase 7' });
      expect(admin).toMatchObject({ role: 'admin', username: 'the_admin', password: 'an admin passphrase 7' });
      expect((await t.db.User.findByPk(admin.id))!.role).toBe('admin');
      expect(can(admin.role, 'notes:read:any')).toBe(true);
    });
  });

  describe('loginAs', () => {
    it('gives an agent that sends the user’s access token', async () => {
      const [alice, bob] = [await t.createUser(), await t.createUser()];
      const asAlice = t.loginAs(alice);
      const asBob = t.loginAs(bob);
      expect((await asAlice.get('/users/me')).body.username).toBe(alice.username);
      expect((await asBob.get('/users/me')).body.username).toBe(bob.username);
      expect((await asAlice.get('/protected')).body).toEqual({ id: alice.id, username: alice.username });
    });
  });

  describe('accessTokenFor', () => {
    it('is a real access token of the app: its issuer, audience and type, accepted by the guards', async () => {
      const user = await t.createUser();
      const token = t.accessTokenFor(user);
      const { header, payload } = jwt.decode(token, { complete: true }) as jwt.Jwt & { payload: jwt.JwtPayload };
      expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
      expect(payload).toMatchObject({ sub: user.id, iss: t.config.jwt.issuer, aud: t.config.jwt.audience, roles: ['user'] });
      expect(payload.exp! - payload.iat!).toBe(t.config.accessTokenTtl);
      expect((await request(t.app).get('/protected').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    });

    it('takes expiresIn in the config’s duration syntax', async () => {
      const user = await t.createUser();
      const token = t.accessTokenFor(user, { expiresIn: '1m' });
      const payload = jwt.decode(token) as jwt.JwtPayload;
      expect(payload.exp! - payload.iat!).toBe(60);
      const call = () => request(t.app).get('/protected').set('Authorization', `Bearer ${token}`);
      t.clock.advance('59s');
      expect((await call()).status).toBe(200);
      t.clock.advance('1s');
      expect((await call()).body.code).toBe('token_expired');
    });

    it('refuses an expiresIn that is not a duration', async () => {
      const user = await t.createUser();
      expect(() => t.accessTokenFor(user, { expiresIn: 'a while' })).toThrow(/expiresIn/);
      expect(() => t.accessTokenFor(user, { expiresIn: '0s' })).toThrow(/expiresIn/);
    });
  });

  describe('the clock', () => {
    it('expires access tokens when advanced past their lifetime', async () => {
      const api = t.loginAs(await t.createUser());
      t.clock.advance('14m');
      expect((await api.get('/users/me')).status).toBe(200);
      t.clock.advance('1m');
      const res = await api.get('/users/me');
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_expired' });
    });

    it('ages refresh tokens', async () => {
      const user = await t.createUser();
      const { refresh_token } = (await request(t.app).post('/token').send({ username: user.username, password: user.password })).body;
      t.clock.advance('30d');
      const res = await request(t.app).post('/token/refresh').send({ refresh_token });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_expired' });
    });

    it('lets the refresh grace interval pass', async () => {
      const user = await t.createUser();
      const { refresh_token } = (await request(t.app).post('/token').send({ username: user.username, password: user.password })).body;
      const first = await request(t.app).post('/token/refresh').send({ refresh_token }).expect(200);
      t.clock.advance('10s');
      const replay = await request(t.app).post('/token/refresh').send({ refresh_token }).expect(200);
      expect(replay.body.refresh_token).toBe(first.body.refresh_token);
      t.clock.advance('1s');
      const late = await request(t.app).post('/token/refresh').send({ refresh_token });
      expect({ status: late.status, code: late.body.code }).toEqual({ status: 401, code: 'refresh_reused' });
    });

    it('refuses what is not a duration', () => {
      expect(() => t.clock.advance('16 minutes')).toThrow(/duration/);
    });

    it('can be handed in, started where a test needs it', async () => {
      const { fakeClock } = await import('.');
      const clock = fakeClock(new Date('2040-01-01T00:00:00Z'));
      const later = await createTestContext({ clock });
      try {
        const user = await later.createUser();
        const payload = jwt.decode(later.accessTokenFor(user)) as jwt.JwtPayload;
        expect(payload.iat).toBe(Date.parse('2040-01-01T00:00:00Z') / 1000);
        expect(later.clock).toBe(clock);
      } finally {
        await later.close();
      }
    });
  });
});
