import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { createSession, createUser, login } from '../factories/user.factory';
import { liveTokenCount } from '../helpers/sessions';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe.each(DIALECTS)('ending sessions (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  describe('POST /auth/logout', () => {
    it('revokes the chain of the given refresh token and leaves other sessions alone', async () => {
      const { username, password, tokens } = await createSession(ctx.app, ctx.db);
      const other = await login(ctx.app, username, password);
      const res = await request(ctx.app).post('/auth/logout').set(bearer(tokens.access_token)).send({ refresh_token: tokens.refresh_token });
      expect(res.status).toBe(204);
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).body.code).toBe('token_revoked');
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: other.refresh_token })).status).toBe(200);
    });

    it('revokes the newest token of the chain too, not only the one presented', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const rotated = (await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).body;
      await request(ctx.app).post('/auth/logout').set(bearer(rotated.access_token)).send({ refresh_token: tokens.refresh_token }).expect(204);
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: rotated.refresh_token })).status).toBe(401);
    });

    it("does not touch another user's session", async () => {
      const alice = await createSession(ctx.app, ctx.db);
      const bob = await createSession(ctx.app, ctx.db);
      await request(ctx.app).post('/auth/logout').set(bearer(alice.tokens.access_token)).send({ refresh_token: bob.tokens.refresh_token }).expect(204);
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: bob.tokens.refresh_token })).status).toBe(200);
    });

    it('with {"all": true} ends every session and refuses access tokens issued before it', async () => {
      const { user, username, password, tokens } = await createSession(ctx.app, ctx.db);
      const other = await login(ctx.app, username, password);
      await request(ctx.app).post('/auth/logout').set(bearer(tokens.access_token)).send({ all: true }).expect(204);

      for (const t of [tokens, other]) {
        const guarded = await request(ctx.app).get('/protected').set(bearer(t.access_token));
        expect(guarded.status).toBe(401);
        expect(guarded.body.code).toBe('token_revoked');
        expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: t.refresh_token })).status).toBe(401);
      }
      expect(await ctx.db.Session.count({ where: { userId: user.id, revokedAt: null } })).toBe(0);
      expect(await liveTokenCount(ctx.db, user.id)).toBe(0);
      // A new login works and its token is accepted.
      const fresh = await login(ctx.app, username, password);
      expect((await request(ctx.app).get('/protected').set(bearer(fresh.access_token))).status).toBe(200);
    });

    it('requires an access token', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const res = await request(ctx.app).post('/auth/logout').send({ refresh_token: tokens.refresh_token });
      expect(res.status).toBe(401);
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(200);
    });

    it('responds 400 for a non-boolean all', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const res = await request(ctx.app).post('/auth/logout').set(bearer(tokens.access_token)).send({ all: 'yes' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('all');
    });
  });

  describe('POST /token/revoke (RFC 7009)', () => {
    it('revokes a refresh token and its chain', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const res = await request(ctx.app).post('/token/revoke').type('form').send({ token: tokens.refresh_token, token_type_hint: 'refresh_token' });
      expect(res.status).toBe(200);
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
    });

    it('responds 200 for an unknown token as well', async () => {
      const res = await request(ctx.app).post('/token/revoke').type('form').send({ token: 'never-issued' });
      expect(res.status).toBe(200);
    });

    it('responds 400 invalid_request without a token', async () => {
      const res = await request(ctx.app).post('/token/revoke').type('form').send({});
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    });
  });

  describe('PUT /users/me/password', () => {
    it('changes the password, revokes every refresh token, refuses older access tokens and returns a fresh pair', async () => {
      const { user, username, password, tokens } = await createSession(ctx.app, ctx.db);
      const other = await login(ctx.app, username, password);
      const res = await request(ctx.app).put('/users/me/password').set(bearer(tokens.access_token)).send({ current_password: password, new_password: 'a brand new passphrase' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer' });

      for (const t of [tokens, other]) {
        expect((await request(ctx.app).get('/protected').set(bearer(t.access_token))).body.code).toBe('token_revoked');
        expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: t.refresh_token })).status).toBe(401);
      }
      expect((await request(ctx.app).get('/protected').set(bearer(res.body.access_token))).status).toBe(200);
      expect((await request(ctx.app).post('/token').send({ username, password })).status).toBe(401);
      expect((await request(ctx.app).post('/token').send({ username, password: 'a brand new passphrase' })).status).toBe(200);
      expect(await ctx.db.Session.count({ where: { userId: user.id, revokedAt: null } })).toBe(2);
      expect(await liveTokenCount(ctx.db, user.id)).toBe(2);
    });

    it('responds 403 password_incorrect when the current password is wrong, and changes nothing', async () => {
      const { user, password, tokens } = await createSession(ctx.app, ctx.db);
      const res = await request(ctx.app).put('/users/me/password').set(bearer(tokens.access_token)).send({ current_password: 'not it at all', new_password: 'a brand new passphrase' });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'invalid_grant', code: 'password_incorrect' });
      expect((await request(ctx.app).get('/protected').set(bearer(tokens.access_token))).status).toBe(200);
      await user.reload();
      expect(user.sessionVersion).toBe(0);
      expect((await request(ctx.app).post('/token').send({ username: user.username, password })).status).toBe(200);
    });

    it('responds 400 naming new_password when it is too short', async () => {
      const { password, tokens } = await createSession(ctx.app, ctx.db);
      const res = await request(ctx.app).put('/users/me/password').set(bearer(tokens.access_token)).send({ current_password: password, new_password: 'short' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'new_password' })]);
    });

    it('requires an access token', async () => {
      const { password } = await createUser(ctx.db);
      expect((await request(ctx.app).put('/users/me/password').send({ current_password: password, new_password: 'whatever it is now' })).status).toBe(401);
    });
  });
});
