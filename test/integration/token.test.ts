import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createUser } from '../factories/user.factory';

describe('POST /token', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('issues an access token and a refresh token for form-encoded credentials', async () => {
    const { username, password } = await createUser(ctx.db);
    const res = await request(ctx.app).post('/token').type('form').send({ username, password, grant_type: 'password' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.any(String),
      refresh_token_expires_in: expect.any(Number),
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
  });
});
