import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { decodeProtectedHeader, importJWK, JWK, jwtVerify } from 'jose';
import { Database, openDatabase } from '../../models';
import { createUser } from '../factories/user.factory';
import { call, killAllServers, makeTempDir, removeTempDirs, ROOT, ServerProcess, spawnServer, startServer } from '../helpers/server-process';
import { kidsIn, StoredKey, storedKeys } from '../helpers/signing-keys';

const KEYS_CLI = path.join(ROOT, 'dist/cli/keys.js');
const KEY_ENCRYPTION_SECRET = 'the-boot-tests-key-encryption-secret-0123456789';
const OTHER_KEY_ENCRYPTION_SECRET = 'not-the-secret-the-keys-were-made-with-9876543210';
// Production refuses argon2 below OWASP's minimum, and starts without SMTP_URL only with mail off; HOST keeps the server on loopback.
const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_ALGORITHM: 'ES256',
  KEY_ENCRYPTION_SECRET,
  ARGON2_MEMORY_KIB: '19456',
  ARGON2_TIME_COST: '2',
  HOST: '127.0.0.1',
  MAIL_DISABLED: 'true',
};

/** The lines a process wrote, empty ones aside. */
const linesOf = (text: string) => text.split('\n').filter((line) => line !== '');

/** Everything a server wrote, stdout and stderr together. */
const everything = (server: ServerProcess) => `${server.logs.map((line) => JSON.stringify(line)).join('\n')}\n${server.stderr()}`;

/** A server that must refuse to start: its exit, and the one line it gave as the reason. */
async function refusal(dir: string, env: Record<string, string>): Promise<{ code: number | null; line: string; server: ServerProcess }> {
  const server = await spawnServer({ dir, env });
  // Well inside the test's own timeout: a server that starts instead fails here, saying it is still running.
  const { code } = await server.waitForExit(15_000);
  const lines = linesOf(server.stderr());
  expect(lines).toHaveLength(1);
  expect(server.logs.some((line) => /^listening/.test(line.msg))).toBe(false);
  return { code, line: lines[0], server };
}

function keysCli(dir: string, args: string[], env: Record<string, string> = {}): void {
  const run = spawnSync(process.execPath, [KEYS_CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...PRODUCTION, JWT_SECRET: 'p'.repeat(40), DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}`, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
}

/** The SQLite file's keys, read with a connection of the test's own and closed again. */
async function withFile<T>(dir: string, use: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ dialect: 'sqlite', storage: path.join(dir, 'auth.sqlite') });
  try {
    return await use(db);
  } finally {
    await db.sequelize.close();
  }
}

/**
 * `node dist/server.js` with JWT_ALGORITHM=ES256: in production it starts only with
 * a current key it can decrypt (made beforehand with `npm run keys -- rotate`) and
 * says in one line on stderr why not; in development an empty table gets its
 * keys at the first start and keeps them across restarts.
 */
describe('server start with asymmetric signing keys (node dist/server.js)', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('auth-keys-boot-');
  });
  afterEach(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it.each([['1'], ['2']])('in production (WEB_CONCURRENCY=%s) refuses an empty key table: exit 1 and one line naming `npm run keys -- rotate`', async (concurrency) => {
    const { code, line } = await refusal(dir, { ...PRODUCTION, WEB_CONCURRENCY: concurrency });

    expect(code).toBe(1);
    expect(line).toBe('startup failed: there is no current signing key: create one with `npm run keys -- rotate`');
    expect(await withFile(dir, storedKeys)).toEqual([]);
  });

  it('in production after `keys rotate` starts, and a login gets an ES256 token whose header names the current key', async () => {
    keysCli(dir, ['rotate']);
    const { username, password } = await withFile(dir, (db) => createUser(db));
    const [current] = await withFile(dir, async (db) => (await storedKeys(db)).filter((key) => key.state === 'current'));

    const server = await startServer({ dir, env: PRODUCTION });
    const login = await call(server.port, 'POST', '/token', { json: { username, password } });

    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: current.kid });
    const published = JSON.parse(current.publicJwk) as JWK;
    await expect(jwtVerify(token, await importJWK(published, 'ES256'))).resolves.toBeDefined();
    const guarded = await call(server.port, 'GET', '/protected', { headers: { authorization: `Bearer ${token}` } });
    expect({ status: guarded.status, username: guarded.body?.username }).toEqual({ status: 200, username });
  });

  it('in production with another KEY_ENCRYPTION_SECRET than the keys were made with: exit 1, one line saying the key cannot be decrypted, no secret in the output', async () => {
    keysCli(dir, ['rotate']);
    const [current] = await withFile(dir, async (db) => kidsIn(await storedKeys(db), 'current'));

    const { code, line, server } = await refusal(dir, { ...PRODUCTION, KEY_ENCRYPTION_SECRET: OTHER_KEY_ENCRYPTION_SECRET });

    expect(code).toBe(1);
    expect(line).toMatch(new RegExp(`^startup failed: signing key ${current} cannot be decrypted: KEY_ENCRYPTION_SECRET is not the one`));
    expect(everything(server)).not.toContain(KEY_ENCRYPTION_SECRET);
    expect(everything(server)).not.toContain(OTHER_KEY_ENCRYPTION_SECRET);
  });

  it('in production without KEY_ENCRYPTION_SECRET: the config refusal, in one line', async () => {
    const { KEY_ENCRYPTION_SECRET: _omitted, ...withoutSecret } = PRODUCTION;

    const { code, line } = await refusal(dir, withoutSecret);

    expect(code).toBe(1);
    expect(line).toBe('config: KEY_ENCRYPTION_SECRET must be set to at least 32 bytes in production with JWT_ALGORITHM=ES256');
  });

  it('in development (NODE_ENV unset, then development) makes a current and a next key on an empty SQLite file at the first start, and none at the next', async () => {
    const development = { JWT_ALGORITHM: 'ES256', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', SEED_DEMO_USER: 'false' };
    const created = (server: ServerProcess) => server.logs.filter((line) => /^no signing keys: created a current and a next key/.test(line.msg));

    const first = await startServer({ dir, env: { ...development, NODE_ENV: '' } });
    const afterFirst: StoredKey[] = await withFile(dir, storedKeys);
    await first.kill();
    const second = await startServer({ dir, env: { ...development, NODE_ENV: 'development' } });
    const afterSecond: StoredKey[] = await withFile(dir, storedKeys);

    expect(afterFirst.map((key) => `${key.alg} ${key.state}`).sort()).toEqual(['ES256 current', 'ES256 next']);
    expect(created(first)).toHaveLength(1);
    expect(afterSecond).toEqual(afterFirst);
    expect(created(second)).toHaveLength(0);
    expect(second.isRunning()).toBe(true);
  });
});
