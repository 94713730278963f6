import net from 'node:net';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { cookieLogin, HOST, OWN_ORIGIN, setCookies } from '../helpers/cookies';
import { tokenUsage } from '../helpers/sessions';
import { createUser } from '../factories/user.factory';
import { listen, Listening } from '../security/support/raw-http';

interface Exchange {
  status: number;
  /** Header names lower-cased; repeated headers in order. */
  headers: Array<[string, string]>;
  body: unknown;
}

/**
 * One request written byte for byte: Node's and superagent's clients join
 * repeated Cookie headers into one line, and the point here is several lines.
 */
function exchange(port: number, path: string, headers: Array<[string, string]>, body?: unknown): Promise<Exchange> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const lines = [`POST ${path} HTTP/1.1`, ...headers.map(([name, value]) => `${name}: ${value}`), 'Connection: close'];
  if (body !== undefined) lines.push('Content-Type: application/json');
  lines.push(`Content-Length: ${Buffer.byteLength(payload)}`, '', payload);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(lines.join('\r\n')));
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, text] = [received.slice(0, received.indexOf('\r\n\r\n')), received.slice(received.indexOf('\r\n\r\n') + 4)];
      const [statusLine, ...headerLines] = head.split('\r\n');
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers: headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
        body: text === '' ? undefined : JSON.parse(text),
      });
    });
  });
}

/**
 * Cookie tossing: a sibling subdomain (or a plain-http page on the same host) can
 * set its own `refresh_token` cookie for this site, with a narrower path so the
 * browser sends it first. cookie-parser keeps the first of two cookies with one
 * name, so the server would act on the planted token: log the victim into the
 * attacker's session, or end the wrong session. A request carrying the name twice
 * is refused instead, before anything is read or written.
 */
describe('a refresh cookie sent twice (cookie tossing)', () => {
  let ctx: TestContext;
  let server: Listening;
  // One failed login locks the account: any failure counted by a refused request would show.
  beforeAll(async () => {
    ctx = await createTestContext({ env: { LOGIN_FAILURE_LIMIT: '1' } });
    server = await listen(ctx.app);
  });
  afterAll(async () => {
    await server.close();
    await ctx.close();
  });

  /** A victim logged in by cookie, and an attacker's own cookie token to plant beside it. */
  async function victimAndPlanted() {
    const victim = await createUser(ctx.db);
    const attacker = await createUser(ctx.db);
    const session = await cookieLogin(ctx.app, victim.username, victim.password);
    const planted = await cookieLogin(ctx.app, attacker.username, attacker.password);
    return { victim, session, planted: planted.refreshToken };
  }

  type Victim = Awaited<ReturnType<typeof victimAndPlanted>>;

  /** Where each route is called, and what else it needs besides the cookie. */
  const routes: Array<[string, { path: string; body?: (v: Victim) => unknown; accessToken?: true }]> = [
    ['POST /token (password grant)', { path: '/token', body: (v) => ({ username: v.victim.username, password: v.victim.password }) }],
    ['POST /token (refresh_token grant)', { path: '/token', body: () => ({ grant_type: 'refresh_token' }) }],
    ['POST /token/refresh', { path: '/token/refresh' }],
    ['POST /token/revoke', { path: '/token/revoke' }],
    ['POST /auth/logout', { path: '/auth/logout', accessToken: true }],
  ];

  /** A browser-like request from the page's own origin, asking for cookie delivery, with these Cookie lines. */
  function send(route: (typeof routes)[number][1], cookieLines: string[], v: Victim) {
    const headers: Array<[string, string]> = [['Host', HOST], ['Origin', OWN_ORIGIN], ['Refresh-Token-Delivery', 'cookie']];
    if (route.accessToken) headers.push(['Authorization', `Bearer ${v.session.accessToken}`]);
    for (const line of cookieLines) headers.push(['Cookie', line]);
    return exchange(server.port, route.path, headers, route.body?.(v));
  }

  async function expectStillRefreshes(token: string): Promise<void> {
    const res = await request(ctx.app).post('/token/refresh').set('Host', HOST).set('Origin', OWN_ORIGIN).set('Cookie', `refresh_token=${token}`);
    expect(res.status).toBe(200);
  }

  describe.each(routes)('%s', (_name, route) => {
    it.each([
      ['in one Cookie line, the planted one first', (mine: string, planted: string) => [`refresh_token=${planted}; refresh_token=${mine}`]],
      ['in one Cookie line, the planted one last', (mine: string, planted: string) => [`refresh_token=${mine}; refresh_token=${planted}`]],
      ['in two Cookie lines', (mine: string, planted: string) => [`refresh_token=${planted}`, `refresh_token=${mine}`]],
      ['twice with the same value', (mine: string) => [`refresh_token=${mine};refresh_token=${mine}`]],
      ['once more, empty, in a second line', (mine: string) => [`refresh_token=${mine}`, 'other=1; refresh_token=']],
    ])('responds 400 refresh_cookie_duplicated to the name %s, and consumes neither token', async (_how, cookieLines) => {
      const v = await victimAndPlanted();
      const chainsBefore = await ctx.db.RefreshToken.count({ where: { userId: v.victim.user.id } });
      const res = await send(route, cookieLines(v.session.refreshToken, v.planted), v);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String), code: 'refresh_cookie_duplicated' });
      expect(res.headers.filter(([name]) => name === 'set-cookie' || name === 'ratelimit-limit')).toEqual([]);
      for (const token of [v.session.refreshToken, v.planted]) {
        expect(await tokenUsage(ctx.db, token)).toMatchObject({ rotatedAt: null, revokedAt: null });
      }
      expect(await ctx.db.RefreshToken.count({ where: { userId: v.victim.user.id } })).toBe(chainsBefore);
      expect((await ctx.db.User.findByPk(v.victim.user.id, { rejectOnEmpty: true })).sessionVersion).toBe(v.victim.user.sessionVersion);
      await expectStillRefreshes(v.session.refreshToken);
      await expectStillRefreshes(v.planted);
    });
  });

  it('counts no failed login for a refused request (the account is not locked)', async () => {
    const v = await victimAndPlanted();
    const wrong = { path: '/token', body: () => ({ username: v.victim.username, password: 'wrong-password' }) };
    for (let i = 0; i < 3; i += 1) expect((await send(wrong, [`refresh_token=${v.planted}; refresh_token=${v.session.refreshToken}`], v)).status).toBe(400);
    expect((await request(ctx.app).post('/token').send({ username: v.victim.username, password: v.victim.password })).status).toBe(200);
  });

  it('tells other cookies apart by their exact name', async () => {
    const { session } = await victimAndPlanted();
    const res = await request(ctx.app)
      .post('/token/refresh')
      .set('Host', HOST)
      .set('Origin', OWN_ORIGIN)
      .set('Cookie', `my_refresh_token=x; refresh_token_old=y; Refresh_Token=z; refresh_token=${session.refreshToken}`);
    expect(res.status).toBe(200);
    expect(setCookies(res).filter((c) => c.name === 'refresh_token')).toHaveLength(2);
  });
});
