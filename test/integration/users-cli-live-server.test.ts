import { spawnSync } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { killAllServers, makeTempDir, removeTempDirs, ROOT, SERVER_ENV, ServerProcess, startServer } from '../helpers/server-process';

const CLI = path.join(ROOT, 'dist/cli/users.js');
const PASSWORD = 'purple monkey dishwasher 7';

/**
 * The users CLI is another process writing to the database of a running server,
 * whose guard answers from an in-memory copy of each user's session state (role,
 * disabled, session version). A token issued after that copy was read and refused
 * by it is checked against the database once before being refused: so a user the
 * CLI promoted, re-enabled or whose sessions it ended gets in with a new login or
 * refresh at once, not a minute later. (What the CLI takes away reaches a running
 * server when the copy expires, within a minute: README, Users and admins.)
 */
describe('the users CLI beside a running server', () => {
  let server: ServerProcess;
  let base: string;

  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: server.dir,
      env: { PATH: process.env.PATH ?? '', ...SERVER_ENV, LOG_LEVEL: 'silent', DATABASE_URL: `sqlite:${server.dbFile}` },
      input: `${PASSWORD}\n`,
      encoding: 'utf8',
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  };
  const login = async (username: string) => {
    const res = await request(base).post('/token').send({ username, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const call = (path: string, token: string) => request(base).get(path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    server = await startServer({ dir: makeTempDir('auth-cli-live-') });
    base = `http://127.0.0.1:${server.port}`;
    cli('create', 'root', '--role', 'admin');
    cli('create', 'alice');
  });
  afterAll(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it('lets a user the CLI promoted into the admin routes with a new login or a refresh at once', async () => {
    const before = await login('alice');
    expect((await call('/admin/users', before.access_token)).status).toBe(403); // the server now holds alice as a user
    cli('set-role', 'alice', 'admin');

    const after = await login('alice');
    const listed = await call('/admin/users', after.access_token);
    expect({ status: listed.status, code: listed.body.code }).toEqual({ status: 200, code: undefined });
    const refreshed = await request(base).post('/token/refresh').send({ refresh_token: before.refresh_token });
    expect((await call('/admin/users', refreshed.body.access_token)).status).toBe(200);
  });

  it('lets a user whose sessions the CLI ended log in again at once', async () => {
    const before = await login('alice');
    expect((await call('/users/me', before.access_token)).status).toBe(200);
    cli('revoke-sessions', 'alice');
    const after = await login('alice');
    expect((await call('/users/me', after.access_token)).status).toBe(200);
  });

  it('lets a user the CLI disabled and enabled again log in and use the API at once', async () => {
    const before = await login('alice');
    expect((await call('/users/me', before.access_token)).status).toBe(200);
    cli('disable', 'alice');
    expect((await request(base).post('/token').send({ username: 'alice', password: PASSWORD })).status).toBe(403);
    cli('enable', 'alice');
    const after = await login('alice');
    expect((await call('/users/me', after.access_token)).status).toBe(200);
  });

  it('still refuses the tokens from before, once the server has read what the CLI did', async () => {
    const before = await login('alice');
    cli('revoke-sessions', 'alice');
    const after = await login('alice');
    expect((await call('/users/me', after.access_token)).status).toBe(200); // the server has now read the new version
    const old = await call('/users/me', before.access_token);
    expect({ status: old.status, code: old.body.code }).toEqual({ status: 401, code: 'token_revoked' });
  });
});
