import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';

describe.each(DIALECTS)('POST /auth/register (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  it('responds 201 with the user and never the hash', async () => {
    const res = await request(ctx.app).post('/auth/register').send({ username: 'Alice_1', password: 'a long passphrase', email: 'alice@example.com' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), username: 'Alice_1', email: 'alice@example.com', email_verified: false, created_at: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/hash|argon/i);
    const row = await ctx.db.User.findByPk(res.body.id);
    expect(row?.usernameKey).toBe('alice_1');
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('lets the new user log in', async () => {
    await request(ctx.app).post('/auth/register').send({ username: 'bob', password: 'tangerine marble sky 1' }).expect(201);
    const res = await request(ctx.app).post('/token').send({ username: 'bob', password: 'tangerine marble sky 1' });
    expect(res.status).toBe(200);
  });

  it('responds 409 username_taken for a taken username, case-insensitively', async () => {
    await request(ctx.app).post('/auth/register').send({ username: 'carol', password: 'tangerine marble sky 2' }).expect(201);
    const res = await request(ctx.app).post('/auth/register').send({ username: 'CAROL', password: 'another password' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'conflict', code: 'username_taken' });
    expect(await ctx.db.User.count({ where: { usernameKey: 'carol' } })).toBe(1);
  });

  it('creates exactly one user when two registrations race for a name', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) => request(ctx.app).post('/auth/register').send({ username: 'racer', password: `password number ${i}` })),
    );
    const statuses = attempts.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    expect(await ctx.db.User.count({ where: { usernameKey: 'racer' } })).toBe(1);
  });

  it.each([
    [{ password: 'long enough' }, 'username'],
    [{ username: 'ab', password: 'long enough' }, 'username'],
    [{ username: 'a'.repeat(33), password: 'long enough' }, 'username'],
    [{ username: 'bad name', password: 'long enough' }, 'username'],
    [{ username: 'dave' }, 'password'],
    [{ username: 'dave', password: 'short' }, 'password'],
    [{ username: 'dave', password: 'x'.repeat(257) }, 'password'],
    [{ username: ['dave'], password: 'long enough' }, 'username'],
    [{ username: 'dave', password: 12345678 }, 'password'],
    [{ username: 'dave', password: 'long enough', email: 'not-an-email' }, 'email'],
  ])('responds 400 invalid_request naming the field for %j', async (body, field) => {
    const res = await request(ctx.app).post('/auth/register').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await ctx.db.User.count({ where: { usernameKey: 'dave' } })).toBe(0);
  });

  it('counts password length in code points, not UTF-16 units', async () => {
    // Four emoji are 8 UTF-16 units but only 4 characters: too short.
    const res = await request(ctx.app).post('/auth/register').send({ username: 'emoji', password: '🔑🔑🔑🔑' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('password');
  });
});
