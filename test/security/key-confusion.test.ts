import { randomUUID, sign as cryptoSign } from 'node:crypto';
import request from 'supertest';
import { createTestContext, TEST_SECRET, TestContext } from '../helpers/app';
import { createSession } from '../factories/user.factory';
import { asymmetric, attackerKeys, b64url, forge, hmac, noSignature, Signer } from './support/jwt-forge';
import { expectAccessRefused } from './support/expectations';
import { ServerKey, serverKeys } from './support/server-keys';

/** A signature by `key` as `alg` would make it: the server's own key used as the algorithm its header claims. */
function signerFor(alg: string, key: ServerKey['privateKey']): Signer {
  switch (alg) {
    case 'ES256':
      return asymmetric(key, { dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return (input) => cryptoSign('sha384', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    case 'RS256':
      return asymmetric(key);
    case 'PS256':
      return asymmetric(key, { padding: 6, saltLength: 32 });
    case 'EdDSA':
      return (input) => cryptoSign(null, Buffer.from(input), key);
    default:
      throw new Error(`no signer for ${alg}`);
  }
}

/** Algorithms a key of `alg` can also produce a valid signature under (the header lies, the signature is real). */
const SIBLINGS: Record<string, string[]> = { ES256: ['ES384'], RS256: ['PS256'], EdDSA: [] };

/**
 * RFC 8725 for the asymmetric modes: the key is chosen by `kid` among the current and
 * previous keys only, each key verifies under its own algorithm only, and nothing in
 * the header may bring a key of its own. Every forged token below is otherwise right:
 * the control proves a token made the same way with the real key and header passes.
 */
describe.each(['ES256', 'EdDSA', 'RS256'])('key confusion and header injection (JWT_ALGORITHM=%s)', (algorithm) => {
  let ctx: TestContext;
  let victim: Awaited<ReturnType<typeof createSession>>;
  let keys: Awaited<ReturnType<typeof serverKeys>>;
  const attacker = attackerKeys();

  beforeAll(async () => {
    ctx = await createTestContext({ env: { JWT_ALGORITHM: algorithm } });
    victim = await createSession(ctx.app, ctx.db);
    keys = await serverKeys(ctx.db, ctx.config);
  });
  afterAll(() => ctx.close());

  const claims = () => {
    const iat = Math.floor(Date.now() / 1000);
    return { sub: victim.user.id, ver: 0, roles: ['user'], iat, exp: iat + 600, jti: randomUUID(), iss: ctx.config.jwt.issuer, aud: ctx.config.jwt.audience };
  };
  const header = (key: ServerKey, extra: Record<string, unknown> = {}) => ({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...extra });
  const withKey = (key: ServerKey, extra: Record<string, unknown> = {}) => forge(header(key, extra), claims(), signerFor(key.alg, key.privateKey));
  const guarded = (token: string) => request(ctx.app).get('/users/me').set('Authorization', `Bearer ${token}`);

  it('accepts the control: a token made by hand with the current key, its kid and its algorithm', async () => {
    expect(keys.current.alg).toBe(algorithm);
    const res = await guarded(withKey(keys.current));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(victim.user.id);
  });

  it('signs logins with the current key and names it', async () => {
    const [encoded] = victim.tokens.access_token.split('.');
    expect(JSON.parse(Buffer.from(encoded, 'base64url').toString())).toEqual({ alg: algorithm, typ: 'at+jwt', kid: keys.current.kid });
  });

  const pem = () => keys.current.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const der = () => keys.current.publicKey.export({ type: 'spki', format: 'der' });
  const cases: Array<[string, () => string]> = [
    ['an unknown kid', () => forge({ ...header(keys.current), kid: 'no-such-key' }, claims(), signerFor(algorithm, keys.current.privateKey))],
    ['no kid', () => forge({ alg: algorithm, typ: 'at+jwt' }, claims(), signerFor(algorithm, keys.current.privateKey))],
    ['the current kid over an attacker signature', () => forge({ ...header(keys.current), alg: 'RS256' }, claims(), asymmetric(attacker.rsaPrivate))],
    ['the current kid over an attacker EC signature', () => forge({ ...header(keys.current), alg: 'ES256' }, claims(), asymmetric(attacker.ec.privateKey, { dsaEncoding: 'ieee-p1363' }))],
    ...SIBLINGS[algorithm].map((other): [string, () => string] => [
      `a real ${other} signature by the current key, header alg ${other}`,
      () => forge({ ...header(keys.current), alg: other }, claims(), signerFor(other, keys.current.privateKey)),
    ]),
    ['HS256 keyed with the public key PEM, with its kid', () => forge({ ...header(keys.current), alg: 'HS256' }, claims(), hmac('sha256', pem()))],
    ['HS256 keyed with the public key PEM, no kid', () => forge({ alg: 'HS256', typ: 'at+jwt' }, claims(), hmac('sha256', pem()))],
    ['HS256 keyed with the public key DER', () => forge({ ...header(keys.current), alg: 'HS256' }, claims(), hmac('sha256', der()))],
    ['HS256 keyed with the public JWK as JSON', () => forge({ ...header(keys.current), alg: 'HS256' }, claims(), hmac('sha256', JSON.stringify(keys.current.publicJwk)))],
    ['HS256 with JWT_SECRET, the HS256 mode key', () => forge({ alg: 'HS256', typ: 'at+jwt' }, claims(), hmac('sha256', TEST_SECRET))],
    ['alg none with the current kid', () => forge({ ...header(keys.current), alg: 'none' }, claims(), noSignature)],
    ['the real signature stripped', () => withKey(keys.current).replace(/\.[^.]+$/, '.')],
    ['the next key, published but not yet signing', () => withKey(keys.next)],
    ['a jku beside the real kid and signature', () => withKey(keys.current, { jku: 'https://attacker.example/jwks.json' })],
    ['an embedded jwk (the real public key) beside the real kid and signature', () => withKey(keys.current, { jwk: keys.current.publicJwk })],
    ['an x5u beside the real kid and signature', () => withKey(keys.current, { x5u: 'https://attacker.example/cert.pem' })],
    ['an x5c beside the real kid and signature', () => withKey(keys.current, { x5c: [b64url(der())] })],
    ['an embedded attacker jwk with the attacker signature', () => forge({ alg: 'RS256', typ: 'at+jwt', jwk: attacker.rsaPublicJwk }, claims(), asymmetric(attacker.rsaPrivate))],
    ['a kid that is SQL', () => forge({ ...header(keys.current), kid: "x' OR state = 'current" }, claims(), signerFor(algorithm, keys.current.privateKey))],
    ['a kid that is not a string', () => forge({ ...header(keys.current), kid: 1 }, claims(), signerFor(algorithm, keys.current.privateKey))],
  ];

  it.each(cases)('refuses %s with 401 token_invalid', async (_name, token) => {
    expectAccessRefused(await guarded(token()), ['token_invalid']);
  });

  it('never publishes a private member, whatever the algorithm', () => {
    for (const jwk of ctx.services.keys.jwks().keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(jwk).not.toHaveProperty(member);
      expect(jwk).toMatchObject({ kid: expect.any(String), alg: algorithm, use: 'sig', key_ops: ['verify'] });
    }
  });
});
