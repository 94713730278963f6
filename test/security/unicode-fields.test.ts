import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession } from '../factories/user.factory';

// Found by the fuzzer: a lone UTF-16 surrogate made validator's isEmail throw (a 500).
describe('lone UTF-16 surrogates in string fields', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  const raw = (path: string, json: string, token?: string) => {
    const req = request(ctx.app).post(path).set('Content-Type', 'application/json');
    if (token) req.set('Authorization', `Bearer ${token}`);
    return req.send(json);
  };

  it.each([
    ['email', '{"username":"surrogate1","password":"long enough pass","email":"a\\ud800@example.com"}'],
    ['password', '{"username":"surrogate2","password":"long enough \\udc00 pass"}'],
  ])('POST /auth/register answers 400 naming %s', async (field, json) => {
    const res = await raw('/auth/register', json);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field, message: `${field} must be valid Unicode text` }]);
    expect(await ctx.db.User.count()).toBe(0);
  });

  it('POST /token answers 400, not 401 or 500', async () => {
    const res = await raw('/token', '{"username":"someone","password":"\\ud83d"}');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('password');
  });

  it('keeps proper surrogate pairs (emoji) as text', async () => {
    const res = await raw('/auth/register', '{"username":"emoji_user","password":"\\ud83d\\udd11 unlock the door"}');
    expect(res.status).toBe(201);
    expect((await raw('/token', '{"username":"emoji_user","password":"🔑 unlock the door"}')).status).toBe(200);
  });

  it('PUT /users/me/password answers 400 for a lone surrogate in new_password', async () => {
    const { password, tokens } = await createSession(ctx.app, ctx.db);
    const res = await request(ctx.app)
      .put('/users/me/password')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .set('Content-Type', 'application/json')
      .send(`{"current_password":${JSON.stringify(password)},"new_password":"still long \\ud800 enough"}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('new_password');
  });
});
