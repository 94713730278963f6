import { sign } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { createApp, createServices } from '../../app';
import { createLogger } from '../../app/logger';
import { postgresChannel } from '../../app/invalidation/postgres-channel';
import { createSigningKeyService } from '../../app/services/signing-key.service';
import { loadConfig } from '../../config';
import { openDatabase } from '../../models';
import { createTestContext, DIALECTS, TEST_ENV, TestContext } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { createPostgresDatabase, describeOnPostgres } from '../helpers/postgres';
import { msUntilStatus } from '../helpers/workers';
import { createSession, createUser, login } from '../factories/user.factory';
import { forge } from '../security/support/jwt-forge';
import { serverKeys } from '../security/support/server-keys';
import { expectAccessRefused } from '../security/support/expectations';

const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid?: string }).kid;
const publishedKids = (ctx: TestContext) => ctx.services.keys.jwks().keys.map((key) => key.kid).sort();

/**
 * The life of the signing keys as a running server sees it: tokens name the key
 * that signed them and verify against the published keys with any JOSE library;
 * a rotation keeps every token valid until it expires; a revocation ends a key's
 * tokens at once; a key past its overlap leaves the JWKS.
 */
describe.each(DIALECTS.flatMap((dialect) => ['ES256', 'EdDSA', 'RS256'].map((algorithm) => [dialect, algorithm] as const)))('signing keys (%s, %s)', (dialect, algorithm) => {
  let ctx: TestContext;
  let clock: FakeClock;

  beforeEach(async () => {
    clock = fakeClock();
    ctx = await createTestContext({ dialect, clock, env: { JWT_ALGORITHM: algorithm, ACCESS_TOKEN_TTL: '15m' } });
  });
  afterEach(() => ctx.close());

  const me = (token: string) => request(ctx.app).get('/users/me').set('Authorization', `Bearer ${token}`);

  it('signs with the current key, and the token verifies against the JWKS with jose as another service would', async () => {
    const { tokens, user } = await createSession(ctx.app, ctx.db);
    const keys = await serverKeys(ctx.db, ctx.config);
    expect(kidOf(tokens.access_token)).toBe(keys.current.kid);
    expect(publishedKids(ctx)).toEqual([keys.current.kid, keys.next.kid].sort());
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createLocalJWKSet(ctx.services.keys.jwks()), {
      issuer: ctx.config.jwt.issuer,
      audience: ctx.config.jwt.audience,
      algorithms: [algorithm],
      currentDate: clock.now(),
    });
    expect(protectedHeader).toEqual({ alg: algorithm, typ: 'at+jwt', kid: keys.current.kid });
    expect(payload.sub).toBe(user.id);
  });

  it('keeps old tokens working across a rotation, signs new ones with the former next key, and drops the old key after its overlap', async () => {
    const { user, password } = await createUser(ctx.db);
    const before = await login(ctx.app, user.username, password);
    const { next: formerNext, current: formerCurrent } = await serverKeys(ctx.db, ctx.config);

    const change = await ctx.services.signingKeys.rotate({ force: true });
    await ctx.services.keys.reload();
    expect(change).toMatchObject({ current: formerNext.kid, retired: formerCurrent.kid });
    const after = await login(ctx.app, user.username, password);
    expect(kidOf(after.access_token)).toBe(formerNext.kid);
    expect((await me(before.access_token)).status).toBe(200);
    expect((await me(after.access_token)).status).toBe(200);
    expect(publishedKids(ctx)).toEqual([formerCurrent.kid, formerNext.kid, change.created[0]].sort());

    clock.advance('930s'); // the old key's last token has expired; the leeway of 60 s has not passed
    await ctx.services.keys.reload();
    expectAccessRefused(await me(before.access_token), ['token_expired']);
    expect(publishedKids(ctx)).toContain(formerCurrent.kid);
    clock.advance('30s');
    await ctx.services.keys.reload();
    expect(publishedKids(ctx)).toEqual([formerNext.kid, change.created[0]].sort());
    expect((await ctx.services.signingKeys.list()).find((key) => key.kid === formerCurrent.kid)?.state).toBe('expired');
  });

  it('refuses at once, and unpublishes, the tokens of a revoked key that have not expired', async () => {
    const { tokens } = await createSession(ctx.app, ctx.db);
    const oldKid = kidOf(tokens.access_token)!;
    await ctx.services.signingKeys.rotate({ force: true });
    await ctx.services.keys.reload();
    expect((await me(tokens.access_token)).status).toBe(200);

    await ctx.services.signingKeys.revoke(oldKid);
    await ctx.services.keys.reload();
    expectAccessRefused(await me(tokens.access_token), ['token_invalid']);
    expect(publishedKids(ctx)).not.toContain(oldKid);
  });

  it('revoking the current key makes the published next key sign at once, and a new next is made', async () => {
    const { user, password } = await createUser(ctx.db);
    const { current, next } = await serverKeys(ctx.db, ctx.config);
    const change = await ctx.services.signingKeys.revoke(current.kid);
    await ctx.services.keys.reload();
    expect(change).toMatchObject({ revoked: current.kid, current: next.kid });
    expect(kidOf((await login(ctx.app, user.username, password)).access_token)).toBe(next.kid);
    expect(publishedKids(ctx)).toEqual([next.kid, change.created[0]].sort());
  });

  it('reads the keys again when a token names a key it does not hold yet (another instance rotated first)', async () => {
    const { user } = await createSession(ctx.app, ctx.db);
    await createSigningKeyService(ctx.config, ctx.db, clock).rotate({ force: true });
    const { current } = await serverKeys(ctx.db, ctx.config);
    const iat = Math.floor(clock.now().getTime() / 1000);
    const token = forge(
      { alg: algorithm, typ: 'at+jwt', kid: current.kid },
      { sub: user.id, ver: 0, roles: ['user'], iat, exp: iat + 60, jti: 'j', iss: ctx.config.jwt.issuer, aud: ctx.config.jwt.audience },
      (input) => sign(algorithm === 'EdDSA' ? null : 'sha256', Buffer.from(input), algorithm === 'ES256' ? { key: current.privateKey, dsaEncoding: 'ieee-p1363' } : current.privateKey),
    );
    expect((await me(token)).status).toBe(200);
  });
});

/**
 * On PostgreSQL a key change anywhere (here: another instance's service, as the CLI
 * does) reaches every running instance through the notice channel: no reload call,
 * no timer.
 */
describeOnPostgres('signing keys across instances (postgres)', () => {
  it('refuses a revoked key\'s tokens within a second on an instance that only heard of it', async () => {
    const postgres = await createPostgresDatabase();
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: postgres.url, JWT_ALGORITHM: 'ES256' });
    const db = await openDatabase(config.database);
    const other = await openDatabase(config.database);
    const channel = postgresChannel(postgres.url, createLogger('silent'));
    try {
      const { migrate } = await import('../../models/migrate');
      await migrate(db.sequelize);
      await createSigningKeyService(config, db, fakeClock()).ensureKeys();
      await channel.ready();
      const services = createServices({ config, db, channel });
      await services.keys.ready();
      const app = createApp({ config, db, services });
      const { tokens } = await createSession(app, db);
      const oldKid = kidOf(tokens.access_token)!;
      const me = () => request(app).get('/users/me').set('Authorization', `Bearer ${tokens.access_token}`);
      expect((await me()).status).toBe(200);

      const elsewhere = createSigningKeyService(config, other, fakeClock());
      await elsewhere.rotate({ force: true });
      await elsewhere.revoke(oldKid);
      expect(await msUntilStatus(me, 401, 1000)).toBeLessThan(1000);
      expect(services.keys.jwks().keys.map((key) => key.kid)).not.toContain(oldKid);
      services.keys.close();
    } finally {
      await channel.close();
      await other.sequelize.close();
      await db.sequelize.close();
      await postgres.drop();
    }
  });
});
