import { spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader, JWTPayload, SignJWT } from 'jose';
import { decryptPrivateKey } from '../../app/keys/key-encryption';
import { Database, openDatabase } from '../../models';
import { readSigningKeys } from '../../models/signing-key.queries';
import { msUntilStatus } from '../helpers/workers';
import { call, killAllServers, makeTempDir, removeTempDirs, ROOT, ServerProcess, startServer } from '../helpers/server-process';
import * as spawning from '../helpers/spawn-server';

const EXAMPLE = path.join(ROOT, 'examples/resource-server/server.js');
const KEYS_CLI = path.join(ROOT, 'dist/cli/keys.js');
const USERS_CLI = path.join(ROOT, 'dist/cli/users.js');

const JWT_SECRET = 'production-jwt-secret-of-at-least-32-bytes!';
const KEY_ENCRYPTION_SECRET = 'production-key-encryption-secret-32-bytes+';
const PASSWORD = 'correct horse battery staple 9';
const ISSUER = 'https://auth.example.test';

/**
 * examples/resource-server beside the auth server, both real processes: the auth
 * server signs with ES256 keys from its table, the example holds no secret and
 * verifies with passport-jwt and the keys jwks-rsa fetches from
 * /.well-known/jwks.json. A rotation reaches it without a restart, and a
 * revocation once its JWKS cache (1 s here) expires.
 */
describe('examples/resource-server beside the auth server', () => {
  let dir: string;
  let auth: ServerProcess;
  let resource: spawning.ServerChild;
  let resourceEnv: Record<string, string>;
  let db: Database;
  let first: string;
  let second: string;

  const authEnv = () => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'production',
    MAIL_DISABLED: 'true', // no mail server here: production starts without SMTP_URL only with mail off
    HOST: '127.0.0.1',
    PUBLIC_URL: ISSUER, // where clients would reach it behind a proxy; its tokens' `iss`
    DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}`,
    JWT_SECRET,
    JWT_ALGORITHM: 'ES256',
    KEY_ENCRYPTION_SECRET,
    ARGON2_MEMORY_KIB: '19456',
    ARGON2_TIME_COST: '2',
    AUTH_RATE_LIMIT: '0',
    LOGIN_FAILURE_LIMIT: '0',
  });
  const cli = (script: string, ...args: string[]) => {
    const result = spawnSync(process.execPath, [script, ...args], { cwd: dir, env: { ...authEnv(), LOG_LEVEL: 'silent' }, input: `${PASSWORD}\n`, encoding: 'utf8' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    return result.stdout;
  };
  const login = async () => {
    const res = await call(auth.port, 'POST', '/token', { json: { username: 'alice', password: PASSWORD } });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };
  const orders = (token?: string) => call(resource.port, 'GET', '/orders', { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;

  /** A token signed with `key` (the auth server's own unless said): `first`'s header and claims, changed where asked. */
  async function sign(changes: { header?: Record<string, unknown>; claims?: JWTPayload; key?: KeyObject }) {
    const rows = await readSigningKeys(db.sequelize);
    const current = rows.find((row) => row.kid === kidOf(first))!;
    const key = changes.key ?? decryptPrivateKey(current.encryptedPrivateKey, current.kid, KEY_ENCRYPTION_SECRET);
    const header = { ...decodeProtectedHeader(first), ...changes.header } as { alg: string };
    return new SignJWT({ ...decodeJwt(first), ...changes.claims }).setProtectedHeader(header).sign(key);
  }

  beforeAll(async () => {
    dir = makeTempDir('auth-resource-server-');
    cli(KEYS_CLI, 'rotate'); // production makes no keys by itself
    cli(USERS_CLI, 'create', 'alice');
    auth = await startServer({ dir, env: authEnv() });
    db = await openDatabase({ dialect: 'sqlite', storage: path.join(dir, 'auth.sqlite') });
    resourceEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AUTH_SERVER_URL: `http://127.0.0.1:${auth.port}`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: 'auth-server-api',
      JWKS_CACHE_MAX_AGE: '1',
      JWKS_REQUESTS_PER_MINUTE: '600',
    };
    resource = await spawning.startServer({ env: resourceEnv, cwd: makeTempDir('resource-server-'), script: EXAMPLE, readyTimeoutMs: 10_000 });
    first = await login();
  });
  afterAll(async () => {
    await db?.sequelize.close();
    await killAllServers();
    removeTempDirs();
  });

  it('accepts an access token from POST /token, checked with the public keys of the JWKS', async () => {
    expect(decodeProtectedHeader(first)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(decodeJwt(first)).toMatchObject({ iss: ISSUER, aud: 'auth-server-api' });
    const res = await orders(first);
    expect(res.status).toBe(200);
    expect(res.body.owner).toBe(decodeJwt(first).sub);
  });

  it('answers 401 with a Bearer challenge when no token is sent', async () => {
    const res = await orders();
    expect({ status: res.status, challenge: res.headers['www-authenticate'], error: res.body.error }).toEqual({ status: 401, challenge: 'Bearer', error: 'unauthorized' });
  });

  it('accepts a token made like the auth server makes them, and refuses each that differs in one thing', async () => {
    const now = Math.floor(Date.now() / 1000);
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const published = (await readSigningKeys(db.sequelize)).find((row) => row.kid === kidOf(first))!;
    const publicPem = createPublicKey({ key: JSON.parse(published.publicJwk), format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const refused = {
      'forged (another key, the same kid)': await sign({ key: stranger }),
      expired: await sign({ claims: { iat: now - 1000, exp: now - 60 } }),
      'typ JWT (not an access token)': await sign({ header: { typ: 'JWT' } }),
      'another issuer': await sign({ claims: { iss: 'https://evil.example' } }),
      'another audience': await sign({ claims: { aud: 'another-api' } }),
      'HS256 keyed with the public key': await new SignJWT(decodeJwt(first)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: kidOf(first) }).sign(Buffer.from(publicPem)),
      'unsigned (alg none)': `${b64({ alg: 'none', typ: 'at+jwt', kid: kidOf(first) })}.${first.split('.')[1]}.`,
      'a kid nobody published': await sign({ header: { kid: 'no-such-kid' } }),
      garbage: 'not-a-jwt',
    };

    expect((await orders(await sign({}))).status).toBe(200); // the signing above works: each 401 below is its one change
    for (const [name, token] of Object.entries(refused)) {
      const res = await orders(token);
      expect({ name, status: res.status, challenge: res.headers['www-authenticate'], error: res.body.error }).toEqual({
        name,
        status: 401,
        challenge: 'Bearer error="invalid_token"',
        error: 'invalid_token',
      });
    }
  });

  it('after a rotation, accepts the new key’s tokens without a restart, and still the old ones', async () => {
    cli(KEYS_CLI, 'rotate', '--force');
    const deadline = performance.now() + 60_000;
    do {
      second = await login(); // the auth server signs with the new key from its next reload (within 10 s)
      if (performance.now() > deadline) throw new Error(`the auth server still signs with ${kidOf(first)} after 60 s`);
    } while (kidOf(second) === kidOf(first));

    const fresh = await orders(second);
    expect({ status: fresh.status, owner: fresh.body.owner }).toEqual({ status: 200, owner: decodeJwt(first).sub });
    expect((await orders(first)).status).toBe(200);
    expect(resource.isRunning()).toBe(true);
  }, 90_000);

  it('after a revocation, refuses the old key’s tokens once its JWKS cache expires, and still accepts the new', async () => {
    cli(KEYS_CLI, 'revoke', kidOf(first)!);
    await msUntilStatus(() => orders(first), 401, 30_000);
    expect((await orders(second)).status).toBe(200);
    expect(resource.isRunning()).toBe(true);
  }, 45_000);

  it('answers 503, not 401, while the JWKS cannot be fetched: the token may be fine', async () => {
    const env = { ...resourceEnv, AUTH_SERVER_URL: `http://127.0.0.1:${await spawning.freePort()}` }; // nothing listens there
    const cutOff = await spawning.startServer({ env, cwd: makeTempDir('resource-server-'), script: EXAMPLE, readyTimeoutMs: 10_000 });
    const res = await call(cutOff.port, 'GET', '/orders', { headers: { authorization: `Bearer ${second}` } });
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 503, error: 'temporarily_unavailable' });
    await cutOff.kill();
  });

  it('never had a secret in its environment', () => {
    // What the process was started with, read back from the kernel.
    const environ = readFileSync(`/proc/${resource.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const names = environ.map((entry) => entry.slice(0, entry.indexOf('='))).sort();
    expect(names).toEqual([...Object.keys(resourceEnv), 'PORT'].sort());
    for (const secret of [JWT_SECRET, KEY_ENCRYPTION_SECRET, PASSWORD]) expect(environ.join('\n')).not.toContain(secret);
  });
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
