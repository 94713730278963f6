import { randomBytes, randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { insertSession } from '../../models/refresh-token.queries';
import { createSession, createUser } from '../factories/user.factory';
import { createTestContext, STORES, TEST_REDIS_URL, TestContext } from '../helpers/app';
import { cookieToken, HOST, OWN_ORIGIN, sha256 } from '../helpers/cookies';
import { sessionOf } from '../helpers/sessions';

/**
 * AUTH_RATE_LIMIT counts refreshes per SESSION (the refresh chain), not per client
 * address: an office behind one NAT has one budget per browser session, not one for
 * the whole office. A refresh token names its session (`<session>.<secret>`), so the
 * session is known before any database work. The prefix can be forged, so only
 * successful refreshes count against a session, and failed ones count against the
 * client's address. Tokens of the earlier shape (no session in them) still rotate,
 * counted per address like a login, and their successor names the session.
 *
 * Every case runs on both stores: this process's memory, and Redis shared by two apps
 * (two instances of the server).
 */
const LIMIT = 3;
const ENV = { AUTH_RATE_LIMIT: String(LIMIT), LOGIN_FAILURE_LIMIT: '0', TRUST_PROXY: 'loopback' };
const SHAPE = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

type Via = 'body' | 'header' | 'cookie' | 'grant' | 'grant-cookie';
const VIAS: Via[] = ['body', 'header', 'cookie', 'grant', 'grant-cookie'];

let address = 0;
/** A client address of its own for each use, so no two tests share a per-IP count. */
const nextIp = () => `198.51.100.${(address += 1)}`;

/** A refresh through any of the five doors; answers with the successor, wherever it came. */
async function refresh(app: Express, token: string, via: Via, ip: string): Promise<{ res: request.Response; token?: string }> {
  const cookie = via === 'cookie' || via === 'grant-cookie';
  let req = request(app)
    .post(via.startsWith('grant') ? '/token' : '/token/refresh')
    .set('X-Forwarded-For', ip);
  if (cookie) req = req.set('Host', HOST).set('Origin', OWN_ORIGIN).set('Cookie', `refresh_token=${token}`);
  if (via === 'header') req = req.set('Authorization', `Bearer ${token}`);
  const body: Record<string, string> = via.startsWith('grant') ? { grant_type: 'refresh_token' } : {};
  if (via === 'body' || via === 'grant') body.refresh_token = token;
  const res = await req.type('form').send(body);
  if (res.status !== 200) return { res };
  return { res, token: cookie ? cookieToken(res) : (res.body.refresh_token as string) };
}

const forgedFor = (token: string) => `${SHAPE.exec(token)![1]}.${randomBytes(32).toString('base64url')}`;

describe.each(STORES)('refresh limits, counted in %s', (store) => {
  let ctx: TestContext;
  /** Where the limits apply; with Redis, two instances drawing on one budget, used in turn. */
  let limited: Express[];
  /** No limits: to log in and to check that a refused request consumed nothing. */
  let free: Express;
  const app = (i: number) => limited[i % limited.length];

  beforeAll(async () => {
    ctx = await createTestContext(store === 'redis' ? { env: { REDIS_URL: TEST_REDIS_URL } } : {});
    limited = [ctx.appWith({ env: ENV })];
    if (store === 'redis') limited.push(ctx.appWith({ env: ENV, redis: await ctx.connectRedis() }));
    free = ctx.app;
  });
  afterAll(() => ctx.close());

  it('issues tokens that name their session, <session>.<secret>, and successors that keep naming it', async () => {
    const { tokens } = await createSession(free, ctx.db);
    const session = await sessionOf(ctx.db, tokens.refresh_token);
    const named = SHAPE.exec(tokens.refresh_token)?.[1];
    expect(named).toBe(Buffer.from(session!.id.replace(/-/g, ''), 'hex').toString('base64url'));
    let token = tokens.refresh_token;
    for (const via of VIAS) {
      const next = await refresh(free, token, via, nextIp());
      expect(next.res.status).toBe(200);
      expect(next.token).toMatch(SHAPE);
      expect(SHAPE.exec(next.token!)![1]).toBe(named);
      token = next.token!;
    }
  });

  it('lets many sessions behind one address refresh far beyond AUTH_RATE_LIMIT', async () => {
    const ip = nextIp();
    const tokens: string[] = [];
    for (let i = 0; i < 2 * LIMIT; i += 1) tokens.push((await createSession(free, ctx.db)).tokens.refresh_token);
    for (let round = 0; round < LIMIT; round += 1) {
      for (let i = 0; i < tokens.length; i += 1) {
        const next = await refresh(app(i + round), tokens[i], VIAS[(i + round) % VIAS.length], ip);
        expect(next.res.status).toBe(200);
        tokens[i] = next.token!;
      }
    }
  });

  it('refuses the limit+1-th refresh of one session, whichever door and address, and consumes nothing', async () => {
    let token = (await createSession(free, ctx.db)).tokens.refresh_token;
    for (let i = 0; i < LIMIT; i += 1) {
      const next = await refresh(app(i), token, VIAS[i], nextIp());
      expect(next.res.status).toBe(200);
      token = next.token!;
    }
    for (const via of VIAS) {
      const { res } = await refresh(app(1), token, via, nextIp());
      expect(res.status).toBe(429);
      expect(res.body).toMatchObject({ error: 'rate_limited', code: 'too_many_requests' });
      expect(res.headers['ratelimit-policy']).toBe(`${LIMIT};w=60`);
      expect(res.headers['ratelimit-remaining']).toBe('0');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect((await refresh(free, token, 'body', nextIp())).res.status).toBe(200);
  });

  it('does not count a session’s own 429s against its address: other sessions there refresh on', async () => {
    const ip = nextIp();
    let busy = (await createSession(free, ctx.db)).tokens.refresh_token;
    for (let i = 0; i < LIMIT; i += 1) busy = (await refresh(app(i), busy, 'body', ip)).token!;
    for (let i = 0; i < 2 * LIMIT; i += 1) expect((await refresh(app(i), busy, 'body', ip)).res.status).toBe(429);
    const other = (await createSession(free, ctx.db)).tokens.refresh_token;
    expect((await refresh(app(0), other, 'body', ip)).res.status).toBe(200);
  });

  it('counts failed refreshes per address: past the limit that address is refused, others are not', async () => {
    const ip = nextIp();
    for (let i = 0; i < LIMIT; i += 1) {
      const unknown = `${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
      const { res } = await refresh(app(i), unknown, VIAS[i], ip);
      expect(res.status).toBe(401);
    }
    const { tokens } = await createSession(free, ctx.db);
    expect((await refresh(app(0), tokens.refresh_token, 'body', ip)).res.status).toBe(429);
    expect((await refresh(app(1), tokens.refresh_token, 'body', nextIp())).res.status).toBe(200);
  });

  it('does not let a forged session prefix spend the victim’s budget', async () => {
    let victim = (await createSession(free, ctx.db)).tokens.refresh_token;
    const attacker = nextIp();
    const answers: number[] = [];
    for (let i = 0; i < 3 * LIMIT; i += 1) answers.push((await refresh(app(i), forgedFor(victim), VIAS[i % VIAS.length], attacker)).res.status);
    expect(answers).toEqual([...Array(LIMIT).fill(401), ...Array(2 * LIMIT).fill(429)]);
    // The victim still has the whole budget, no more.
    for (let i = 0; i < LIMIT; i += 1) {
      const next = await refresh(app(i), victim, 'body', nextIp());
      expect(next.res.status).toBe(200);
      victim = next.token!;
    }
    expect((await refresh(app(0), victim, 'body', nextIp())).res.status).toBe(429);
  });

  it('lets no more than the limit through when one session refreshes many times at once', async () => {
    const { tokens } = await createSession(free, ctx.db);
    const raced = await Promise.all(Array.from({ length: 4 * LIMIT }, (_, i) => refresh(app(i), tokens.refresh_token, 'body', nextIp())));
    const ok = raced.filter((next) => next.res.status === 200);
    expect(ok).toHaveLength(LIMIT);
    expect(raced.filter((next) => next.res.status === 429)).toHaveLength(3 * LIMIT);
    // Inside the reuse interval every winner got the one successor (app/services/refresh-token.service.ts).
    expect(new Set(ok.map((next) => next.token)).size).toBe(1);
  });

  describe('tokens of the earlier shape (no session in them)', () => {
    /** A session begun before tokens named their session: its token is 256 random bits and nothing else. */
    async function legacySession() {
      const { user } = await createUser(ctx.db);
      const token = randomBytes(32).toString('base64url');
      await insertSession(
        ctx.db,
        { id: randomUUID(), userId: user.id, sessionVersion: user.sessionVersion, createdAt: new Date() },
        { id: randomUUID(), tokenHash: sha256(token), expiresAt: new Date(Date.now() + 3_600_000) },
      );
      return token;
    }

    it('still rotate, and their successor names the session', async () => {
      for (const via of VIAS) {
        const token = await legacySession();
        const next = await refresh(app(0), token, via, nextIp());
        expect(next.res.status).toBe(200);
        const session = await sessionOf(ctx.db, token);
        expect(SHAPE.exec(next.token!)?.[1]).toBe(Buffer.from(session!.id.replace(/-/g, ''), 'hex').toString('base64url'));
        expect((await sessionOf(ctx.db, next.token!))!.id).toBe(session!.id);
      }
    });

    it('are counted per address, with logins', async () => {
      const ip = nextIp();
      const { username, password } = await createUser(ctx.db);
      for (let i = 0; i < LIMIT - 1; i += 1) {
        expect((await request(app(i)).post('/token').set('X-Forwarded-For', ip).send({ username, password })).status).toBe(200);
      }
      expect((await refresh(app(1), await legacySession(), 'body', ip)).res.status).toBe(200);
      const token = await legacySession();
      expect((await refresh(app(0), token, 'grant', ip)).res.status).toBe(429);
      expect((await refresh(free, token, 'grant', ip)).res.status).toBe(200);
    });

    it('answer 401 token_invalid when unknown, counted per address', async () => {
      const ip = nextIp();
      for (let i = 0; i < LIMIT; i += 1) {
        const { res } = await refresh(app(i), randomBytes(32).toString('base64url'), 'body', ip);
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({ error: 'invalid_grant', code: 'token_invalid' });
      }
      expect((await refresh(app(0), randomBytes(32).toString('base64url'), 'body', ip)).res.status).toBe(429);
    });
  });

  it('is off with AUTH_RATE_LIMIT=0', async () => {
    const off = ctx.appWith({ env: { ...ENV, AUTH_RATE_LIMIT: '0' } });
    let token = (await createSession(free, ctx.db)).tokens.refresh_token;
    for (let i = 0; i < 3 * LIMIT; i += 1) {
      const next = await refresh(off, token, VIAS[i % VIAS.length], '198.51.100.250');
      expect(next.res.status).toBe(200);
      expect(next.res.headers).not.toHaveProperty('ratelimit-limit');
      token = next.token!;
    }
    for (let i = 0; i < 3 * LIMIT; i += 1) expect((await refresh(off, forgedFor(token), 'body', '198.51.100.250')).res.status).toBe(401);
  });
});

describe('logins and registrations: per address, as before', () => {
  it('counts them together, and refreshes not at all', async () => {
    const ctx = await createTestContext();
    try {
      const app = ctx.appWith({ env: ENV });
      const ip = nextIp();
      const { username, password } = await createUser(ctx.db);
      const first = await request(app).post('/token').set('X-Forwarded-For', ip).send({ username, password });
      expect(first.status).toBe(200);
      let token = first.body.refresh_token as string;
      for (let i = 0; i < LIMIT; i += 1) {
        const next = await refresh(app, token, VIAS[i], ip);
        expect(next.res.status).toBe(200);
        token = next.token!;
      }
      expect((await request(app).post('/auth/register').set('X-Forwarded-For', ip).send({ username: `new${Date.now()}`, password: 'a-long-enough-passphrase' })).status).toBe(201);
      expect((await request(app).post('/token').set('X-Forwarded-For', ip).send({ username, password })).status).toBe(200);
      expect((await request(app).post('/token').set('X-Forwarded-For', ip).send({ username, password })).status).toBe(429);
      expect((await request(app).post('/auth/register').set('X-Forwarded-For', ip).send({ username: `new${Date.now()}x`, password: 'a-long-enough-passphrase' })).status).toBe(429);
    } finally {
      await ctx.close();
    }
  });
});
