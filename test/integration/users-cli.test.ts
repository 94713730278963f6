import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp, createServices } from '../../app';
import { loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { DIALECTS, TEST_ENV, TEST_SECRET } from '../helpers/app';
import { createPostgresDatabase, PostgresDatabase } from '../helpers/postgres';
import { ROOT } from '../helpers/server-process';

const CLI = path.join(ROOT, 'dist/cli/users.js');
const PASSWORD = 'correct horse battery staple 42';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** One line of text, no stack trace: what every outcome of the CLI looks like. */
function expectOneLine(text: string): string {
  const lines = text.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at |\.js:\d+|Error:/);
  return lines[0];
}

function expectSuccess(run: Run): string {
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  return expectOneLine(run.stdout);
}

function expectFailure(run: Run, message: RegExp): void {
  expect(run.status).not.toBe(0);
  expect(run.status).not.toBeNull();
  expect(run.stdout).toBe('');
  expect(expectOneLine(run.stderr)).toMatch(message);
}

/**
 * `npm run users -- …` is `node dist/cli/users.js …`: the real CLI as a child
 * process, on a fresh SQLite file and a fresh PostgreSQL database, the password
 * piped on stdin. What it does is then checked through the app over that database.
 */
describe.each(DIALECTS)('users CLI (%s)', (dialect) => {
  let dir: string;
  let postgres: PostgresDatabase | null = null;
  let databaseUrl: string;
  let db: Database;
  let app: ReturnType<typeof createApp>;

  const env = (more: Record<string, string> = {}) => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    JWT_SECRET: TEST_SECRET,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    ...more,
  });
  const cli = (args: string[], options: { input?: string; env?: Record<string, string> } = {}): Run => {
    const result = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, env: env(options.env), input: options.input ?? '', encoding: 'utf8', timeout: 20_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const loginStatus = async (username: string, password = PASSWORD) => (await request(app).post('/token').send({ username, password })).status;
  const row = (username: string) => db.User.findOne({ where: { usernameKey: username.toLowerCase() } });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-users-cli-'));
    postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    databaseUrl = postgres ? postgres.url : `sqlite:${path.join(dir, 'auth.sqlite')}`;
  });
  afterAll(async () => {
    await db?.sequelize.close();
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the first admin in a fresh database (migrating it first), who then logs in and manages users through the app', async () => {
    const run = cli(['create', 'root', '--role', 'admin', '--email', 'root@example.com'], { input: `${PASSWORD}\n` });
    expect(expectSuccess(run)).toMatch(/^created admin root \([0-9a-f-]{36}\)$/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);

    // Only now open the database in this process: the CLI made every table.
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: databaseUrl });
    db = await openDatabase(config.database);
    app = createApp({ config, db, services: createServices({ config, db }) });
    expect(await row('root')).toMatchObject({ username: 'root', email: 'root@example.com', role: 'admin', disabledAt: null });

    const login = await request(app).post('/token').send({ username: 'root', password: PASSWORD });
    expect(login.status).toBe(200);
    const users = await request(app).get('/admin/users').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(users.status).toBe(200);
    expect(users.body.users.map((u: { username: string }) => u.username)).toEqual(['root']);
  });

  it('creates a user (role user, no email) from a password piped without a final newline', async () => {
    expect(expectSuccess(cli(['create', 'Alice'], { input: PASSWORD }))).toMatch(/^created user Alice \([0-9a-f-]{36}\)$/);
    expect(await row('alice')).toMatchObject({ username: 'Alice', role: 'user', email: null });
    expect(await loginStatus('alice')).toBe(200);
  });

  it('reads one line only: the password ends at the first newline, and its spaces are kept', async () => {
    expect(expectSuccess(cli(['create', 'bob'], { input: `  ${PASSWORD}  \r\nsecond line\n` }))).toMatch(/^created user bob /);
    expect(await loginStatus('bob', `  ${PASSWORD}  `)).toBe(200);
  });

  it('set-role promotes and demotes', async () => {
    expect(expectSuccess(cli(['set-role', 'alice', 'admin']))).toBe('Alice is now admin');
    expect((await row('alice'))!.role).toBe('admin');
    expect(expectSuccess(cli(['set-role', 'ALICE', 'user']))).toBe('Alice is now user');
    expect((await row('alice'))!.role).toBe('user');
  });

  it('disable refuses logins and ends sessions; enable lets the user in again', async () => {
    const tokens = (await request(app).post('/token').send({ username: 'bob', password: `  ${PASSWORD}  ` })).body;
    expect(expectSuccess(cli(['disable', 'bob']))).toBe('disabled bob; every session of theirs has ended');
    expect((await row('bob'))!.disabledAt).toBeInstanceOf(Date);
    expect(await loginStatus('bob', `  ${PASSWORD}  `)).toBe(403);
    expect((await request(app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
    expect(expectSuccess(cli(['enable', 'bob']))).toBe('enabled bob');
    expect(await loginStatus('bob', `  ${PASSWORD}  `)).toBe(200);
  });

  it('revoke-sessions ends every session of the user', async () => {
    const tokens = (await request(app).post('/token').send({ username: 'alice', password: PASSWORD })).body;
    expect(expectSuccess(cli(['revoke-sessions', 'alice']))).toBe('ended every session of Alice');
    expect((await request(app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
    expect(await loginStatus('alice')).toBe(200);
  });

  it('list prints one user per line, in username order: username, role, state, email, id', async () => {
    const run = cli(['list']);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.map((line) => line.split('\t').slice(0, 4))).toEqual([
      ['Alice', 'user', 'enabled', '-'],
      ['bob', 'user', 'enabled', '-'],
      ['root', 'admin', 'enabled', 'root@example.com'],
    ]);
    for (const line of lines) expect(line.split('\t')[4]).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('refuses, with one line on stderr and a non-zero exit', () => {
    it.each([
      ['an unknown command', ['frobnicate'], /unknown command "frobnicate"/],
      ['no command', [], /missing command/],
      ['create without a username', ['create'], /missing argument.*username/],
      ['set-role without a role', ['set-role', 'alice'], /missing argument.*role/],
      ['disable without a username', ['disable'], /missing argument.*username/],
      ['an extra argument', ['enable', 'alice', 'bob'], /unexpected argument "bob"/],
      ['an unknown option', ['create', 'carol', '--rol', 'admin'], /unknown option "--rol"/],
      ['an option of another command', ['list', '--role', 'admin'], /unknown option "--role"/],
      ['an option without its value', ['create', 'carol', '--role'], /--role needs a value/],
      ['a bad role', ['set-role', 'alice', 'root'], /unknown role "root".*user, admin/],
      ['a bad role at create', ['create', 'carol', '--role', 'superuser'], /unknown role "superuser"/],
      ['an unknown user', ['set-role', 'ghost', 'admin'], /no user named "ghost"/],
      ['an unknown user to disable', ['disable', 'ghost'], /no user named "ghost"/],
      ['an unknown user to enable', ['enable', 'ghost'], /no user named "ghost"/],
      ['an unknown user to revoke', ['revoke-sessions', 'ghost'], /no user named "ghost"/],
      ['a name no user can have', ['disable', 'ｒoot'], /no user named "ｒoot"/],
    ])('%s', (_what, args, message) => {
      expectFailure(cli(args as string[], { input: `${PASSWORD}\n` }), message);
    });

    it('a weak password: too short, too common, containing the username, none at all', async () => {
      expectFailure(cli(['create', 'carol'], { input: 'short\n' }), /password must be 8 to 256 characters long/);
      expectFailure(cli(['create', 'carol'], { input: 'password123\n' }), /password is too common/);
      expectFailure(cli(['create', 'carol'], { input: 'carol-is-my-password\n' }), /password must not contain the username/);
      expectFailure(cli(['create', 'carol'], { input: '' }), /no password on standard input/);
      expectFailure(cli(['create', 'carol'], { input: '\n' }), /password must be 8 to 256 characters long/);
      expect(await row('carol')).toBeNull();
    });

    it('a username registration would refuse, or an email that is no address', async () => {
      expectFailure(cli(['create', 'no spaces'], { input: `${PASSWORD}\n` }), /username may contain only/);
      expectFailure(cli(['create', 'x'], { input: `${PASSWORD}\n` }), /username must be 3 to 32 characters long/);
      expectFailure(cli(['create', 'carol', '--email', 'not-an-address'], { input: `${PASSWORD}\n` }), /email must be a valid address/);
      expect(await row('carol')).toBeNull();
    });

    it('a taken username, compared case-insensitively', async () => {
      expectFailure(cli(['create', 'ROOT'], { input: `${PASSWORD}\n` }), /username "ROOT" is taken/);
    });

    it('demoting or disabling the last enabled admin', async () => {
      expectFailure(cli(['set-role', 'root', 'user']), /would leave no enabled admin/);
      expectFailure(cli(['disable', 'root']), /would leave no enabled admin/);
      expect(await row('root')).toMatchObject({ role: 'admin', disabledAt: null });
    });

    it('a configuration error, naming the variable', () => {
      expectFailure(cli(['list'], { env: { ACCESS_TOKEN_TTL: 'soon' } }), /config: ACCESS_TOKEN_TTL/);
      expectFailure(cli(['list'], { env: { NODE_ENV: 'production', JWT_SECRET: 'short', ARGON2_MEMORY_KIB: '5' } }), /config: .*JWT_SECRET.*; .*ARGON2_MEMORY_KIB/);
    });

    it('a database that cannot be reached', () => {
      // PostgreSQL: nothing listens on port 1. SQLite: the file's directory would have to be inside a file.
      writeFileSync(path.join(dir, 'a-file'), 'not a directory');
      const unreachable = dialect === 'postgres' ? 'postgres://postgres@127.0.0.1:1/nowhere' : `sqlite:${path.join(dir, 'a-file', 'auth.sqlite')}`;
      expectFailure(cli(['list'], { env: { DATABASE_URL: unreachable } }), /^users: cannot reach the database: /);
    });
  });

  it('prints usage on --help, to stdout, exit 0', () => {
    const run = cli(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/create <username>/);
    expect(run.stdout).toMatch(/revoke-sessions <username>/);
  });
});

/**
 * In a terminal the password is asked for on stderr, twice, and never echoed. A
 * terminal comes from script(1) (util-linux; Essential in Debian), which runs the
 * CLI on a pseudo-terminal and copies what it writes.
 */
describe('users CLI in a terminal', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-users-tty-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `users <args>` on a pseudo-terminal, typing each answer once its prompt has appeared. */
  function inTerminal(args: string, answers: Array<[RegExp, string]>): Promise<{ code: number | null; screen: string }> {
    const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}`, JWT_SECRET: TEST_SECRET, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' };
    const child = spawn('script', ['-qfec', `'${process.execPath}' '${CLI}' ${args}`, '/dev/null'], { cwd: dir, env });
    let screen = '';
    let next = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      screen += chunk;
      while (next < answers.length && answers[next][0].test(screen)) child.stdin.write(answers[next++][1]);
    });
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
  }

  it('asks twice without echo, takes backspace, and creates the user', async () => {
    const { code, screen } = await inTerminal('create tty_user', [
      [/New password for tty_user: $/, `${PASSWORD}x\u007f\r`],
      [/Repeat it: $/, `${PASSWORD}\r`],
    ]);
    expect({ code, screen }).toEqual({ code: 0, screen: expect.stringMatching(/created user tty_user \(/) });
    expect(screen).not.toContain(PASSWORD.slice(0, 8));
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}` });
    const db = await openDatabase(config.database);
    try {
      const app = createApp({ config, db });
      expect((await request(app).post('/token').send({ username: 'tty_user', password: PASSWORD })).status).toBe(200);
    } finally {
      await db.sequelize.close();
    }
  });

  it('refuses two different passwords, and stops on Ctrl-C, in one line each', async () => {
    const differ = await inTerminal('create tty_other', [
      [/New password for tty_other: $/, `${PASSWORD}\r`],
      [/Repeat it: $/, `${PASSWORD}!\r`],
    ]);
    expect(differ.code).toBe(1);
    expect(differ.screen).toMatch(/\r\nusers: the two passwords differ\r\n$/);
    const interrupted = await inTerminal('create tty_other', [[/New password for tty_other: $/, 'abc\u0003']]);
    expect(interrupted.code).toBe(130);
    expect(interrupted.screen).toMatch(/users: interrupted\r\n$/);
  });
});
