import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, JWK } from 'jose';
import { decryptPrivateKey, KeyDecryptionFailed } from '../../app/keys/key-encryption';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';
import { DIALECTS, TEST_SECRET } from '../helpers/app';
import { createPostgresDatabase, PostgresDatabase } from '../helpers/postgres';
import { ROOT } from '../helpers/server-process';
import { kidsIn, privateKeyMatchesPublic, privateMaterial, StoredKey, statesOf, storedKeys } from '../helpers/signing-keys';

const CLI = path.join(ROOT, 'dist/cli/keys.js');
const KEY_ENCRYPTION_SECRET = 'the-keys-cli-tests-key-encryption-secret-0123456789';
const ACCESS_TOKEN_TTL = 300;
const LEEWAY = 60;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** One line of text, no stack trace: what every refusal of the CLI looks like. */
function oneLine(text: string): string {
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at |\.js:\d+/);
  return lines[0];
}

function expectRefusal(run: Run, status: 1 | 2, message: RegExp): string {
  expect({ status: run.status, stdout: run.stdout }).toEqual({ status, stdout: '' });
  const line = oneLine(run.stderr);
  expect(line).toMatch(message);
  return line;
}

function expectSuccess(run: Run): string[] {
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  return run.stdout.trimEnd().split('\n');
}

/**
 * `npm run keys -- …` is `node dist/cli/keys.js …`: the real CLI as a child
 * process, in production, on a fresh SQLite file or PostgreSQL database per test.
 * What it did is read back from the table with SQL; what it printed is checked
 * against every spelling of every private key the table held meanwhile.
 */
describe.each(DIALECTS)('npm run keys (%s)', (dialect) => {
  let dir: string;
  let postgres: PostgresDatabase | null = null;
  let databaseUrl: string;
  let db: Database;
  let printed: string[];
  let material: Set<string>;

  const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      const environment = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        MAIL_DISABLED: 'true', // production loads the whole config, which wants a way to send mail or none at all
        DATABASE_URL: databaseUrl,
        JWT_SECRET: TEST_SECRET,
        JWT_ALGORITHM: 'ES256',
        KEY_ENCRYPTION_SECRET,
        ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL),
        ...env,
      };
      execFile(process.execPath, [CLI, ...args], { cwd: dir, env: environment, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
        printed.push(stdout, stderr);
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });

  /** The table now; every private key in it joins the material no output may contain. */
  const keys = async (secret = KEY_ENCRYPTION_SECRET): Promise<StoredKey[]> => {
    const rows = await storedKeys(db);
    for (const row of rows) for (const spelling of privateMaterial(row, secret)) material.add(spelling);
    return rows;
  };

  const setRetiredAt = (kid: string, secondsAgo: number) =>
    db.sequelize.query('UPDATE signing_keys SET retired_at = :at WHERE kid = :kid', { replacements: { kid, at: new Date(Date.now() - secondsAgo * 1000) } });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-keys-cli-'));
    postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    databaseUrl = postgres ? postgres.url : `sqlite:${path.join(dir, 'auth.sqlite')}`;
    db = await openDatabase(postgres ? { dialect: 'postgres', url: postgres.url } : { dialect: 'sqlite', storage: path.join(dir, 'auth.sqlite') });
    await migrate(db.sequelize);
    printed = [];
    material = new Set();
  });

  afterEach(async () => {
    // Whatever a test ran, nothing printed holds a private key, in any spelling.
    await keys().catch(() => undefined);
    expect(material.size).toBeGreaterThan(0);
    for (const output of printed) {
      expect(output).not.toMatch(/-----BEGIN|PRIVATE KEY|"d"\s*:/);
      for (const spelling of material) expect(output).not.toContain(spelling);
    }
    await db.sequelize.close();
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('list says the table is empty; rotate makes a current and a next key; list then shows both with their states', async () => {
    expect(expectSuccess(await cli(['list']))).toEqual(['no signing keys (create the first ones with: npm run keys -- rotate)']);

    const rotated = expectSuccess(await cli(['rotate']));

    const stored = await keys();
    const [current] = kidsIn(stored, 'current');
    const [next] = kidsIn(stored, 'next');
    expect(stored).toHaveLength(2);
    expect(stored.map((key) => key.alg)).toEqual(['ES256', 'ES256']);
    expect(rotated).toEqual([`current ${current}`, `created ${next} (next)`]);
    const [header, ...rows] = expectSuccess(await cli(['list']));
    expect(header.split(/\s{2,}/)).toEqual(['KID', 'ALG', 'STATE', 'CREATED', 'SIGNING SINCE', 'RETIRED', 'REVOKED']);
    expect(rows.map((row) => row.split(/\s+/).slice(0, 3)).sort()).toEqual([[current, 'ES256', 'current'], [next, 'ES256', 'next']].sort());
  });

  it('refuses a second rotate at once in one line naming JWKS_MAX_AGE and --force, and changes nothing', async () => {
    expectSuccess(await cli(['rotate']));
    const before = await keys();

    const line = expectRefusal(await cli(['rotate']), 1, /JWKS_MAX_AGE/);

    expect(line).toMatch(/--force/);
    expect(await keys()).toEqual(before);
  });

  it('rotate --force: next becomes current, current previous, and a new next is made; with JWKS_MAX_AGE=0 a plain rotate does the same', async () => {
    expectSuccess(await cli(['rotate']));
    const first = await keys();
    const [oldCurrent] = kidsIn(first, 'current');
    const [oldNext] = kidsIn(first, 'next');

    const forced = expectSuccess(await cli(['rotate', '--force']));

    const second = await keys();
    const [newNext] = kidsIn(second, 'next');
    expect(statesOf(second)).toEqual({ [oldCurrent]: 'previous', [oldNext]: 'current', [newNext]: 'next' });
    expect(forced).toEqual([`retired ${oldCurrent} (previous: accepted until its tokens expire)`, `current ${oldNext}`, `created ${newNext} (next)`]);

    expectSuccess(await cli(['rotate'], { JWKS_MAX_AGE: '0' }));

    const third = await keys();
    const [newest] = kidsIn(third, 'next');
    expect(statesOf(third)).toEqual({ [oldCurrent]: 'previous', [oldNext]: 'previous', [newNext]: 'current', [newest]: 'next' });
  });

  it('revoke: an unknown kid is refused in one line; the current key leaves the former next current and a new next; a previous key leaves current alone', async () => {
    expectSuccess(await cli(['rotate']));
    expectSuccess(await cli(['rotate', '--force']));
    const before = await keys();
    const [previous] = kidsIn(before, 'previous');
    const [current] = kidsIn(before, 'current');
    const [next] = kidsIn(before, 'next');

    expectRefusal(await cli(['revoke', 'no-such-kid']), 1, /^keys: no signing key no-such-kid$/);
    expect(await keys()).toEqual(before);

    const revokedCurrent = expectSuccess(await cli(['revoke', current]));

    const afterCurrent = await keys();
    const [newNext] = kidsIn(afterCurrent, 'next');
    expect(statesOf(afterCurrent)).toEqual({ [previous]: 'previous', [current]: 'revoked', [next]: 'current', [newNext]: 'next' });
    expect(revokedCurrent).toEqual([`revoked ${current}`, `current ${next}`, `created ${newNext} (next)`]);

    expect(expectSuccess(await cli(['revoke', previous]))).toEqual([`revoked ${previous}`, `current ${next}`]);

    expect(statesOf(await keys())).toEqual({ [previous]: 'revoked', [current]: 'revoked', [next]: 'current', [newNext]: 'next' });
  });

  it(`prune deletes revoked keys and previous keys retired more than ACCESS_TOKEN_TTL + ${LEEWAY} s ago, and keeps previous keys inside that overlap`, async () => {
    expectSuccess(await cli(['rotate']));
    for (let i = 0; i < 3; i += 1) expectSuccess(await cli(['rotate', '--force']));
    const [outlived, withinLeeway, revoked] = kidsIn(await keys(), 'previous');
    expectSuccess(await cli(['revoke', revoked]));
    await setRetiredAt(outlived, ACCESS_TOKEN_TTL + LEEWAY + 10);
    // Past ACCESS_TOKEN_TTL but not past the leeway: a verifier whose clock is behind may still take its tokens.
    await setRetiredAt(withinLeeway, ACCESS_TOKEN_TTL + LEEWAY - 30);
    const before = await keys();
    const [current] = kidsIn(before, 'current');
    const [next] = kidsIn(before, 'next');
    expect(expectSuccess(await cli(['list'])).find((row) => row.startsWith(outlived))?.split(/\s+/)[2]).toBe('expired');

    const pruned = expectSuccess(await cli(['prune']));

    expect(pruned.sort()).toEqual([`deleted ${outlived}`, `deleted ${revoked}`].sort());
    expect(statesOf(await keys())).toEqual({ [withinLeeway]: 'previous', [current]: 'current', [next]: 'next' });
    expect(expectSuccess(await cli(['prune']))).toEqual(['nothing to prune']);
  });

  it('with JWT_ALGORITHM=HS256 refuses rotate, revoke and prune in one line (exit 1), and touches no key', async () => {
    expectSuccess(await cli(['rotate']));
    const before = await keys();
    const hs256 = { JWT_ALGORITHM: 'HS256' };

    const runs = await Promise.all([['rotate'], ['rotate', '--force'], ['revoke', before[0].kid], ['prune']].map((args) => cli(args, hs256)));

    for (const run of runs) expectRefusal(run, 1, /^keys: JWT_ALGORITHM is HS256: .*JWT_ALGORITHM=ES256/);
    expect(await keys()).toEqual(before);
  });

  it('refuses a bad command line with exit 2 and one line, before touching the database; --help prints the usage and exits 0', async () => {
    expectSuccess(await cli(['rotate']));
    const before = await keys();
    const bad = [[], ['bogus'], ['rotate', '--now'], ['rotate', '--force', 'extra'], ['revoke'], ['revoke', 'a', 'b'], ['list', 'extra'], ['prune', '--all']];

    // The command line is judged first: neither the algorithm nor the database matters to a typo.
    const elsewhere = { JWT_ALGORITHM: 'HS256', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };

    const refused = await Promise.all(bad.flatMap((args) => [cli(args), cli(args, elsewhere)]));
    const helped = await Promise.all([['--help'], ['-h'], ['help']].map((args) => cli(args)));

    for (const run of refused) expectRefusal(run, 2, /\(see --help\)$/);
    for (const run of helped) {
      const help = expectSuccess(run);
      expect(help[0]).toMatch(/^Usage: npm run keys -- <command>/);
      expect(help.join('\n')).toMatch(/rotate \[--force\]/);
    }
    expect(await keys()).toEqual(before);
  });

  it('stores each private key only as v1.<iv>.<ciphertext>.<tag>, which another KEY_ENCRYPTION_SECRET or another row cannot decrypt', async () => {
    expectSuccess(await cli(['rotate']));
    expectSuccess(await cli(['rotate', '--force']));
    const stored = await keys();
    expect(stored).toHaveLength(3);

    for (const key of stored) {
      expect(key.privateKey).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
      for (const spelling of privateMaterial(key, KEY_ENCRYPTION_SECRET)) expect(key.privateKey).not.toContain(spelling);
      expect(JSON.parse(key.publicJwk)).not.toHaveProperty('d');
      expect(privateKeyMatchesPublic(key, KEY_ENCRYPTION_SECRET)).toBe(true);
      expect(() => decryptPrivateKey(key.privateKey, key.kid, 'another-key-encryption-secret-0123456789')).toThrow(KeyDecryptionFailed);
    }
    // The kid is the additional authenticated data: a ciphertext copied onto another row does not decrypt there.
    expect(() => decryptPrivateKey(stored[0].privateKey, stored[1].kid, KEY_ENCRYPTION_SECRET)).toThrow(KeyDecryptionFailed);
  });

  it.each([
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }, 'ed25519'],
    ['RS256', { kty: 'RSA', e: 'AQAB' }, 'rsa'],
  ])('with JWT_ALGORITHM=%s, rotate makes keys of that algorithm', async (algorithm, jwkShape, keyType) => {
    expectSuccess(await cli(['rotate'], { JWT_ALGORITHM: algorithm }));
    expectSuccess(await cli(['rotate', '--force'], { JWT_ALGORITHM: algorithm }));

    const stored = await keys();
    expect(stored.map((key) => `${key.alg} ${key.state}`).sort()).toEqual([`${algorithm} current`, `${algorithm} next`, `${algorithm} previous`]);
    for (const key of stored) {
      const jwk = JSON.parse(key.publicJwk) as JWK;
      expect(jwk).toMatchObject({ ...jwkShape, alg: algorithm, kid: key.kid, use: 'sig' });
      expect(await calculateJwkThumbprint(jwk, 'sha256')).toBe(key.kid);
      expect(decryptPrivateKey(key.privateKey, key.kid, KEY_ENCRYPTION_SECRET).asymmetricKeyType).toBe(keyType);
    }
  });
});
