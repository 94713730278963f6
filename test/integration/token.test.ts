import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createTestContext, DIALECTS, TEST_SECRET, TestContext } from '../helpers/app';
import { createUser } from '../factories/user.factory';

describe.each(DIALECTS)('POST /token (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  const tokenShape = {
    access_token: expect.any(String),
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: expect.any(String),
    refresh_token_expires_in: 30 * 86400,
  };

  it('issues an access token and a refresh token for form-encoded credentials (OAuth2 password grant)', async () => {
    const { user, username, password } = await createUser(ctx.db);
    const res = await request(ctx.app).post('/token').type('form').send({ grant_type: 'password', username, password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(tokenShape);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    expect(await ctx.db.RefreshToken.count({ where: { userId: user.id } })).toBe(1);
  });

  it('accepts JSON credentials and form credentials without grant_type', async () => {
    const { username, password } = await createUser(ctx.db);
    expect((await request(ctx.app).post('/token').send({ username, password })).body).toEqual(tokenShape);
    expect((await request(ctx.app).post('/token').type('form').send({ username, password })).body).toEqual(tokenShape);
  });

  it('signs an HS256 access JWT with typ at+jwt and the claims of the contract', async () => {
    const { user, username, password } = await createUser(ctx.db);
    const { body } = await request(ctx.app).post('/token').send({ username, password });
    const decoded = jwt.verify(body.access_token, TEST_SECRET, { algorithms: ['HS256'], complete: true });
    expect(decoded.header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    const claims = decoded.payload as jwt.JwtPayload;
    expect(claims).toEqual({
      sub: user.id,
      ver: 0,
      roles: ['user'],
      iat: expect.any(Number),
      exp: (claims.iat as number) + 900,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iss: 'auth-server',
      aud: 'auth-server-api',
    });
    expect(typeof claims.sub).toBe('string');
  });

  it('logs in case-insensitively by username', async () => {
    const { username, password } = await createUser(ctx.db, { username: 'MixedCase' });
    expect((await request(ctx.app).post('/token').send({ username: username.toLowerCase(), password })).status).toBe(200);
  });

  it('responds 401 invalid_grant when the password is wrong, and issues nothing', async () => {
    const { user, username } = await createUser(ctx.db);
    const res = await request(ctx.app).post('/token').send({ username, password: 'wrong password' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'The username or password is incorrect.', code: 'invalid_credentials' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="auth-server"');
    expect(await ctx.db.RefreshToken.count({ where: { userId: user.id } })).toBe(0);
  });

  it('answers an unknown username exactly as a wrong password', async () => {
    const { username } = await createUser(ctx.db);
    const wrong = await request(ctx.app).post('/token').send({ username, password: 'wrong password' });
    const unknown = await request(ctx.app).post('/token').send({ username: 'nobody-here', password: 'wrong password' });
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.headers['www-authenticate']).toBe(wrong.headers['www-authenticate']);
  });

  it.each([
    [{}, 'username'],
    [{ username: 'someone' }, 'password'],
    [{ password: 'something' }, 'username'],
    [{ username: { $ne: null }, password: 'x' }, 'username'],
    [{ username: 'someone', password: ['a', 'b'] }, 'password'],
  ])('responds 400 invalid_request for malformed credentials %j', async (body, field) => {
    const res = await request(ctx.app).post('/token').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('responds 400 unsupported_grant_type for an unknown grant', async () => {
    const res = await request(ctx.app).post('/token').type('form').send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'unsupported_grant_type', code: 'grant_type_unsupported' });
  });

  it('ignores credentials in the query string', async () => {
    const { username, password } = await createUser(ctx.db);
    const res = await request(ctx.app).post(`/token?username=${username}&password=${encodeURIComponent(password)}`).send({});
    expect(res.status).toBe(400);
  });

  describe('grant_type=refresh_token (RFC 6749 section 6)', () => {
    it('rotates the refresh token like /token/refresh', async () => {
      const { username, password } = await createUser(ctx.db);
      const login = await request(ctx.app).post('/token').send({ username, password });
      const res = await request(ctx.app).post('/token').type('form').send({ grant_type: 'refresh_token', refresh_token: login.body.refresh_token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(tokenShape);
      expect(res.body.refresh_token).not.toBe(login.body.refresh_token);
    });

    it('requires the refresh_token field', async () => {
      const res = await request(ctx.app).post('/token').type('form').send({ grant_type: 'refresh_token' });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'refresh_token' })]);
    });

    it('responds 401 invalid_grant for an unknown refresh token', async () => {
      const res = await request(ctx.app).post('/token').type('form').send({ grant_type: 'refresh_token', refresh_token: 'not-a-token' });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_grant', code: 'token_invalid' });
    });
  });
});
