import argon2 from 'argon2';
import request from 'supertest';
import { createServices } from '../../app';
import { usernameKey } from '../../app/services/user.service';
import { seedDemoUser, DEMO_USER } from '../../seeders/demo-user';
import { createTestContext, TestContext } from '../helpers/app';
import { sha256 } from '../helpers/cookies';
import { createSession, createUser, login } from '../factories/user.factory';
import { countRows, everyStoredValue, snapshotUser } from './support/db';

/**
 * NIST SP 800-63B section 3.1.1.2 and OWASP's password guidance: length counted
 * in code points (8 to 256), nothing trimmed or truncated, common and breached
 * passwords refused, the username refused inside the password, argon2id hashes
 * upgraded when the cost rises, and nothing secret stored in the clear.
 */
/** "argon2id v=19 m=1024 t=1 p=1" from a PHC string, whatever order the parameters come in. */
function params(hash: string): string {
  const [, type, version, list] = /^\$(argon2\w+)\$v=(\d+)\$([^$]+)\$/.exec(hash)!;
  const values = Object.fromEntries(list.split(',').map((pair) => pair.split('=')));
  return `${type} v=${version} m=${values.m} t=${values.t} p=${values.p}`;
}

describe('password policy', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  let sequence = 0;
  const register = (password: string, username = `pwuser${(sequence += 1)}`) =>
    request(ctx.app).post('/auth/register').send({ username, password });
  const tokenFor = (username: string, password: string) => request(ctx.app).post('/token').send({ username, password });

  async function expectRefusedPassword(res: request.Response, field: string, reason: RegExp): Promise<void> {
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed' });
    expect(res.body.errors).toEqual([{ field, message: expect.stringMatching(reason) }]);
  }

  describe('length in Unicode code points', () => {
    const key = '\u{1F511}'; // one code point, two UTF-16 units, four UTF-8 bytes

    it('accepts 8 emoji and refuses 7 (14 UTF-16 units, still 7 characters)', async () => {
      const username = 'emoji8';
      expect((await register(key.repeat(8), username)).status).toBe(201);
      expect((await tokenFor(username, key.repeat(8))).status).toBe(200);
      await expectRefusedPassword(await register(key.repeat(7)), 'password', /8 to 256 characters/);
    });

    it('accepts 256 emoji (1 KiB of UTF-8) and refuses 257', async () => {
      expect((await register(key.repeat(256), 'emoji256')).status).toBe(201);
      expect((await tokenFor('emoji256', key.repeat(256))).status).toBe(200);
      await expectRefusedPassword(await register(key.repeat(257)), 'password', /8 to 256 characters/);
    });

    it('counts the code points of the NFKC form: combining marks compose, ligatures expand', async () => {
      const decomposed = 'e\u0301'.repeat(4); // "éééé" as 8 code points, 4 once composed
      await expectRefusedPassword(await register(decomposed), 'password', /8 to 256 characters/);
      const composedEight = '\u00e9'.repeat(4) + 'e\u0301'.repeat(4); // 12 code points as sent, 8 in NFKC
      expect((await register(composedEight, 'combining')).status).toBe(201);
      expect((await tokenFor('combining', '\u00e9'.repeat(8))).status).toBe(200);
      expect((await tokenFor('combining', '\u00e9'.repeat(7))).status).toBe(401);
      const ligatures = '\ufb01'.repeat(4); // "ﬁﬁﬁﬁ": 4 code points as sent, "fifififi" in NFKC
      expect((await register(ligatures, 'ligatures')).status).toBe(201);
      expect((await tokenFor('ligatures', 'fifififi')).status).toBe(200);
    });

    it('bounds the NFKC form at 256: 400 decomposed letters are 200 characters, at registration and at login', async () => {
      const decomposed = 'e\u0301'.repeat(200); // 400 code points as sent
      expect((await register(decomposed, 'longdecomposed')).status).toBe(201);
      expect((await tokenFor('longdecomposed', decomposed)).status).toBe(200);
      expect((await tokenFor('longdecomposed', '\u00e9'.repeat(200))).status).toBe(200);
      await expectRefusedPassword(await register('e\u0301'.repeat(257)), 'password', /8 to 256 characters/);
    });

    it('refuses 7 ASCII characters and non-string passwords with a field message', async () => {
      await expectRefusedPassword(await register('abc-123'), 'password', /8 to 256 characters/);
      for (const password of [12345678, ['a-long-enough-passphrase'], { $gt: '' }, null, true]) {
        const res = await request(ctx.app).post('/auth/register').send({ username: `typed${(sequence += 1)}`, password });
        await expectRefusedPassword(res, 'password', /must be a string/);
      }
    });
  });

  describe('nothing trimmed or truncated', () => {
    it('keeps leading and trailing spaces: the trimmed password does not log in', async () => {
      const password = '  correct horse battery staple ';
      expect((await register(password, 'spacey')).status).toBe(201);
      expect((await tokenFor('spacey', password)).status).toBe(200);
      for (const other of [password.trim(), password.trimEnd(), password.trimStart(), `${password} `]) {
        expect((await tokenFor('spacey', other)).status).toBe(401);
      }
    });

    it('uses every character: a prefix (72 bytes, 255 characters) or a cut at a NUL does not log in', async () => {
      const long = `${'x'.repeat(100)}-${'y'.repeat(155)}`; // 256 characters
      expect((await register(long, 'longpass')).status).toBe(201);
      expect((await tokenFor('longpass', long)).status).toBe(200);
      expect((await tokenFor('longpass', long.slice(0, 72))).status).toBe(401);
      expect((await tokenFor('longpass', long.slice(0, 255))).status).toBe(401);

      const withNul = 'before-nul\u0000after-nul';
      expect((await register(withNul, 'nulpass')).status).toBe(201);
      expect((await tokenFor('nulpass', withNul)).status).toBe(200);
      expect((await tokenFor('nulpass', 'before-nul')).status).toBe(401);
    });
  });

  describe('common and breached passwords', () => {
    it.each(['password1', 'Password1', 'PASSWORD1', 'iloveyou', 'qwertyuiop', 'trustno1', 'sunshine', '1q2w3e4r5t'])(
      'refuses %s at registration (case-insensitive) and creates nobody',
      async (password) => {
        const before = await countRows(ctx.db, 'users');
        await expectRefusedPassword(await register(password), 'password', /too common/);
        expect(await countRows(ctx.db, 'users')).toBe(before);
      },
    );

    it('refuses them as a new password, naming new_password, and changes nothing', async () => {
      const session = await createSession(ctx.app, ctx.db);
      const before = await snapshotUser(ctx.db, session.user.id);
      for (const newPassword of ['baseball1', 'Football1', 'STARWARS']) {
        const res = await request(ctx.app)
          .put('/users/me/password')
          .set('Authorization', `Bearer ${session.tokens.access_token}`)
          .send({ current_password: session.password, new_password: newPassword });
        await expectRefusedPassword(res, 'new_password', /too common/);
      }
      expect(await snapshotUser(ctx.db, session.user.id)).toEqual(before);
    });

    it('judges the NFKC form: fullwidth "ｐａｓｓｗｏｒｄ１２３" is as common as "password123"', async () => {
      const before = await countRows(ctx.db, 'users');
      expect('\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13'.normalize('NFKC')).toBe('password123');
      await expectRefusedPassword(await register('\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff11\uff12\uff13'), 'password', /too common/);
      await expectRefusedPassword(await register('\uff30assword1'), 'password', /too common/); // fullwidth capital P
      expect(await countRows(ctx.db, 'users')).toBe(before);
    });

    it('accepts an uncommon passphrase', async () => {
      expect((await register('plum tractor velvet ninety')).status).toBe(201);
    });
  });

  describe('passwords containing the username', () => {
    it('refuses them at registration, case-insensitively', async () => {
      await expectRefusedPassword(await register('my-Marjorie-pass', 'marjorie'), 'password', /must not contain the username/);
      await expectRefusedPassword(await register('MARJORIE2024!', 'Marjorie'), 'password', /must not contain the username/);
      expect(await ctx.db.User.count({ where: { usernameKey: 'marjorie' } })).toBe(0);
    });

    it('refuses them in fullwidth letters too (the NFKC form is judged)', async () => {
      await expectRefusedPassword(await register('my-\uff4d\uff41\uff52\uff4a\uff4f\uff52\uff49\uff45-pass', 'marjorie'), 'password', /must not contain the username/);
    });

    it('refuses them as a new password', async () => {
      const session = await createSession(ctx.app, ctx.db, { username: 'reginald' });
      const res = await request(ctx.app)
        .put('/users/me/password')
        .set('Authorization', `Bearer ${session.tokens.access_token}`)
        .send({ current_password: session.password, new_password: 'xx-REGINALD-xx' });
      await expectRefusedPassword(res, 'new_password', /must not contain the username/);
    });

    it('reports every broken field at once', async () => {
      const res = await request(ctx.app).post('/auth/register').send({ username: 'a b', password: 'short' });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['password', 'username']);
    });
  });

  describe('login never applies the policy', () => {
    it('lets the demo user johndoe / secret log in', async () => {
      const created = await seedDemoUser(ctx.db, createServices({ config: ctx.config, db: ctx.db }).passwords);
      expect(created).toBe(true);
      const res = await tokenFor(DEMO_USER.username, DEMO_USER.password);
      expect(res.status).toBe(200);
      expect(res.body.access_token).toEqual(expect.any(String));
    });

    it('lets a user whose stored password is now on the blocklist log in (and change it)', async () => {
      const { username, password } = await createUser(ctx.db, { password: 'password1' });
      const tokens = await login(ctx.app, username, password);
      const res = await request(ctx.app)
        .put('/users/me/password')
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .send({ current_password: password, new_password: 'plum tractor velvet ninety' });
      expect(res.status).toBe(200);
    });
  });
});

describe('argon2id hashes are upgraded at login when the cost rises', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(); // m=1024, t=1
  });
  afterAll(() => ctx.close());

  const storedHash = async (username: string) =>
    (await ctx.db.User.findOne({ where: { usernameKey: usernameKey(username) }, rejectOnEmpty: true })).passwordHash;

  it('rehashes with the higher parameters, keeps the session, and never downgrades', async () => {
    const password = 'plum tractor velvet ninety';
    expect((await request(ctx.app).post('/auth/register').send({ username: 'upgrader', password })).status).toBe(201);
    const original = await storedHash('upgrader');
    expect(params(original)).toBe('argon2id v=19 m=1024 t=1 p=1');
    const session = await login(ctx.app, 'upgrader', password);

    const stronger = ctx.appWith({ env: { ARGON2_MEMORY_KIB: '2048', ARGON2_TIME_COST: '2' } });
    expect((await request(stronger).post('/token').send({ username: 'upgrader', password: 'wrong-password' })).status).toBe(401);
    expect(await storedHash('upgrader')).toBe(original); // a failed login changes nothing

    expect((await request(stronger).post('/token').send({ username: 'upgrader', password })).status).toBe(200);
    const upgraded = await storedHash('upgrader');
    expect(params(upgraded)).toBe('argon2id v=19 m=2048 t=2 p=1');
    expect(await argon2.verify(upgraded, password)).toBe(true);
    // Rehashing is not a password change: existing sessions live on.
    expect((await request(ctx.app).get('/protected').set('Authorization', `Bearer ${session.access_token}`)).status).toBe(200);

    // An app still configured with the old, lower cost logs in fine and leaves the stronger hash alone.
    expect((await request(ctx.app).post('/token').send({ username: 'upgrader', password })).status).toBe(200);
    expect(await storedHash('upgrader')).toBe(upgraded);
  });

  it('replaces an argon2i hash with argon2id at the same cost', async () => {
    const password = 'plum tractor velvet ninety';
    const legacy = await argon2.hash(password, { type: argon2.argon2i, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    await ctx.db.User.create({ username: 'legacy', usernameKey: 'legacy', passwordHash: legacy });
    expect((await request(ctx.app).post('/token').send({ username: 'legacy', password })).status).toBe(200);
    expect(params(await storedHash('legacy'))).toBe('argon2id v=19 m=1024 t=1 p=1');
  });
});

/**
 * NIST SP 800-63B section 5.1.1.2: passwords are normalised (NFKC) before hashing, so
 * the same password typed on another keyboard or pasted from another app (composed or
 * decomposed accents, fullwidth letters) is the same password. Hashes made before that,
 * from the password as sent, keep working and are replaced by the NFKC hash at the next
 * login.
 */
describe('passwords are compared in their NFKC form', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(); // m=1024, t=1
  });
  afterAll(() => ctx.close());

  const TEST_COST = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
  const decomposed = 'Cafe\u0301-longer-pass'; // "é" as e + COMBINING ACUTE ACCENT
  const composed = 'Caf\u00e9-longer-pass'; // its NFKC form
  const fullwidth = '\uff30\uff4c\uff55\uff4d-tractor-velvet'; // "Ｐｌｕｍ-tractor-velvet"
  const tokenFor = (username: string, password: string) => request(ctx.app).post('/token').send({ username, password });
  const storedHash = async (username: string) =>
    (await ctx.db.User.findOne({ where: { usernameKey: usernameKey(username) }, rejectOnEmpty: true })).passwordHash;
  /** A user whose hash was made from the password as sent, as before normalisation, straight with argon2. */
  async function legacyUser(username: string, password: string, cost = TEST_COST): Promise<string> {
    const hash = await argon2.hash(password, { type: argon2.argon2id, ...cost });
    await ctx.db.User.create({ username, usernameKey: usernameKey(username), passwordHash: hash });
    return hash;
  }

  it('stores the hash of the NFKC form: composed and decomposed, fullwidth and ASCII register and log in as one password', async () => {
    expect(composed).toBe(decomposed.normalize('NFKC'));
    expect((await request(ctx.app).post('/auth/register').send({ username: 'decomposer', password: decomposed })).status).toBe(201);
    expect(await argon2.verify(await storedHash('decomposer'), composed)).toBe(true);
    expect((await tokenFor('decomposer', composed)).status).toBe(200);
    expect((await tokenFor('decomposer', decomposed)).status).toBe(200);

    expect((await request(ctx.app).post('/auth/register').send({ username: 'composer', password: composed })).status).toBe(201);
    expect((await tokenFor('composer', decomposed)).status).toBe(200);

    expect((await request(ctx.app).post('/auth/register').send({ username: 'widekeys', password: fullwidth })).status).toBe(201);
    expect((await tokenFor('widekeys', 'Plum-tractor-velvet')).status).toBe(200);
    expect((await tokenFor('widekeys', fullwidth)).status).toBe(200);
    expect((await tokenFor('widekeys', 'plum-tractor-velvet')).status).toBe(401); // normalised, not case-folded
  });

  it('accepts the current password in either form at PUT /users/me/password', async () => {
    const session = await createSession(ctx.app, ctx.db, { password: decomposed });
    const res = await request(ctx.app)
      .put('/users/me/password')
      .set('Authorization', `Bearer ${session.tokens.access_token}`)
      .send({ current_password: composed, new_password: 'plum tractor velvet ninety' });
    expect(res.status).toBe(200);
  });

  it.each([
    ['decomposed accent', 'legacyaccent', decomposed],
    ['fullwidth letters', 'legacywide', fullwidth],
  ])('logs in a user whose hash was made from the unnormalised password (%s), then stores the NFKC hash', async (_kind, username, password) => {
    const legacy = await legacyUser(username, password);
    expect((await tokenFor(username, `${password}!`)).status).toBe(401);
    expect(await storedHash(username)).toBe(legacy); // a failed login changes nothing

    const session = await login(ctx.app, username, password); // the same input as ever
    const rehashed = await storedHash(username);
    expect(rehashed).not.toBe(legacy);
    expect(await argon2.verify(rehashed, password.normalize('NFKC'))).toBe(true);
    expect(await argon2.verify(rehashed, password)).toBe(false);
    expect(params(rehashed)).toBe('argon2id v=19 m=1024 t=1 p=1');

    expect((await tokenFor(username, password.normalize('NFKC'))).status).toBe(200);
    expect((await tokenFor(username, password)).status).toBe(200);
    expect(await storedHash(username)).toBe(rehashed); // nothing more to replace
    // Rehashing is not a password change: the session lives on.
    expect((await request(ctx.app).get('/protected').set('Authorization', `Bearer ${session.access_token}`)).status).toBe(200);
  });

  it('keeps a stronger unnormalised hash at its own cost when it replaces it (never a downgrade)', async () => {
    await legacyUser('legacystrong', decomposed, { memoryCost: 2048, timeCost: 2, parallelism: 1 });
    expect((await tokenFor('legacystrong', decomposed)).status).toBe(200);
    const rehashed = await storedHash('legacystrong');
    expect(params(rehashed)).toBe('argon2id v=19 m=2048 t=2 p=1');
    expect(await argon2.verify(rehashed, composed)).toBe(true);
  });

  it('logs in an older password of 256 characters that NFKC makes longer (ligatures)', async () => {
    const password = '\ufb01'.repeat(256); // 256 code points as sent, 512 in NFKC
    await legacyUser('legacyligature', password);
    expect((await tokenFor('legacyligature', password)).status).toBe(200);
    expect(await argon2.verify(await storedHash('legacyligature'), 'fi'.repeat(256))).toBe(true);
  });

  describe('an unknown user and a wrong password stay alike', () => {
    let verify: jest.SpiedFunction<typeof argon2.verify>;
    beforeEach(() => {
      verify = jest.spyOn(argon2, 'verify');
    });
    afterEach(() => verify.mockRestore());

    /** The answer and the number of argon2 verifications one login attempt cost. */
    async function attempt(username: string, password: string) {
      verify.mockClear();
      const res = await tokenFor(username, password);
      return { status: res.status, text: res.text, verifications: verify.mock.calls.length };
    }

    beforeAll(() => createUser(ctx.db, { username: 'alikeknown', password: 'plum tractor velvet ninety' }));

    it.each([
      ['an unnormalised password: both try it as sent too', decomposed, 2],
      ['an NFKC password: one verification each', composed, 1],
    ])('%s', async (_case, wrongPassword, verifications) => {
      await attempt('alikeunknown', wrongPassword); // the first unknown login also builds the dummy hash
      const wrong = await attempt('alikeknown', wrongPassword);
      const unknown = await attempt('alikeunknown', wrongPassword);
      expect(wrong.status).toBe(401);
      expect(unknown).toEqual(wrong);
      expect(wrong.verifications).toBe(verifications);
    });
  });
});

describe('the database holds no plaintext password and no raw token', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('after register, login, refreshes, password change, logout and revoke: no secret in any column of any row', async () => {
    const secrets: string[] = [];
    const firstPassword = 'first plum tractor velvet';
    const secondPassword = 'second plum tractor velvet';
    secrets.push(firstPassword, secondPassword);
    expect((await request(ctx.app).post('/auth/register').send({ username: 'scanned', password: firstPassword })).status).toBe(201);
    expect((await request(ctx.app).post('/auth/register').send({ username: 'refused', password: 'password1' })).status).toBe(400);
    secrets.push('password1');

    let tokens = await login(ctx.app, 'scanned', firstPassword);
    const other = await login(ctx.app, 'scanned', firstPassword);
    secrets.push(tokens.access_token, tokens.refresh_token, other.access_token, other.refresh_token);
    for (let i = 0; i < 2; i += 1) {
      const res = await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token });
      expect(res.status).toBe(200);
      tokens = res.body;
      secrets.push(tokens.access_token, tokens.refresh_token);
    }
    const changed = await request(ctx.app)
      .put('/users/me/password')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .send({ current_password: firstPassword, new_password: secondPassword });
    expect(changed.status).toBe(200);
    secrets.push(changed.body.access_token, changed.body.refresh_token);
    const third = await login(ctx.app, 'scanned', secondPassword);
    secrets.push(third.access_token, third.refresh_token);
    expect((await request(ctx.app).post('/token/revoke').type('form').send({ token: third.refresh_token })).status).toBe(200);
    expect(
      (await request(ctx.app).post('/auth/logout').set('Authorization', `Bearer ${changed.body.access_token}`).send({ refresh_token: changed.body.refresh_token })).status,
    ).toBe(204);

    const stored = await everyStoredValue(ctx.db);
    // The scan sees the data: every refresh token's SHA-256 is there, and an argon2id hash.
    for (const token of [tokens.refresh_token, third.refresh_token]) {
      expect(stored).toContain(sha256(token));
    }
    expect(stored.some((value) => value.startsWith('$argon2id$'))).toBe(true);
    for (const secret of secrets) {
      const leaks = stored.filter((value) => value.includes(secret));
      expect({ secret, leaks }).toEqual({ secret, leaks: [] });
    }
    // Nor any of a JWT's parts (a stored signature or payload would still be a token).
    for (const part of tokens.access_token.split('.').slice(1)) expect(stored.filter((value) => value.includes(part))).toEqual([]);
  });
});
