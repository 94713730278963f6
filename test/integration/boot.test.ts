import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { killAllServers, ROOT, SERVER_JS, startServer } from '../helpers/server-process';

const SERVER = SERVER_JS;
// The real defaults (development, info logs), not the fault tests' cheap test settings.
const DEVELOPMENT = { NODE_ENV: 'development', JWT_SECRET: '', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' };
// Production as an operator without a mail server runs it: MAIL_DISABLED=true, or the server refuses to start.
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', MAIL_DISABLED: 'true' };
const messages = (logs: { msg: string }[]) => logs.map((l) => l.msg).join('\n');

/** An IPv4 address of this machine that is not loopback: where another machine would connect. */
function externalAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
  if (!address) throw new Error('this test needs a network interface besides loopback');
  return address.address;
}

/** Whether a TCP connection to host:port is accepted ('refused' when nothing listens there). */
function connect(host: string, port: number): Promise<'accepted' | 'refused'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' ? resolve('refused') : reject(error)));
  });
}

describe('server boot (node dist/server.js)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-boot-'));
  });
  afterEach(async () => {
    await killAllServers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('in development, migrates an empty SQLite file, seeds johndoe/secret, says so, and logs him in', async () => {
    const server = await startServer({ env: DEVELOPMENT, dir });
    const url = `http://127.0.0.1:${server.port}`;
    {
      expect(messages(server.logs)).toContain('seeded demo user johndoe / secret');
      const login = await request(url).post('/token').type('form').send({ username: 'johndoe', password: 'secret' });
      expect(login.status).toBe(200);
      const guarded = await request(url).get('/protected').set('Authorization', `Bearer ${login.body.access_token}`);
      expect(guarded.body.username).toBe('johndoe');
      const johndoeAsAdmin = await request(url).get('/admin/users').set('Authorization', `Bearer ${login.body.access_token}`);
      expect(johndoeAsAdmin.status).toBe(403);
    }
  });

  it('in development also seeds admin / admin-secret with the admin role, says so, and the admin routes answer him', async () => {
    const server = await startServer({ env: DEVELOPMENT, dir });
    const url = `http://127.0.0.1:${server.port}`;
    expect(messages(server.logs)).toContain('seeded demo admin admin / admin-secret');
    const login = await request(url).post('/token').send({ username: 'admin', password: 'admin-secret' });
    expect(login.status).toBe(200);
    const users = await request(url).get('/admin/users').set('Authorization', `Bearer ${login.body.access_token}`);
    expect(users.status).toBe(200);
    expect(users.body.users.map((u: { username: string; role: string }) => `${u.username}:${u.role}`)).toEqual(['admin:admin', 'johndoe:user']);
  });

  describe('listening address (HOST)', () => {
    const listening = (logs: { msg: string }[]) => logs.find((line) => /^listening/.test(line.msg));

    it('in development listens on 127.0.0.1 only and says so, so the demo user never reaches the network', async () => {
      const server = await startServer({ env: { ...DEVELOPMENT, SEED_DEMO_USER: 'false' }, dir });
      expect(await connect('127.0.0.1', server.port)).toBe('accepted');
      expect(await connect(externalAddress(), server.port)).toBe('refused');
      expect(listening(server.logs)).toMatchObject({ address: '127.0.0.1', port: server.port });
      expect(listening(server.logs)?.msg).toMatch(/127\.0\.0\.1.*loopback only.*set HOST/);
    });

    it('in development listens where HOST says', async () => {
      const server = await startServer({ env: { ...DEVELOPMENT, SEED_DEMO_USER: 'false', HOST: '0.0.0.0' }, dir });
      expect(listening(server.logs)).toMatchObject({ address: '0.0.0.0', port: server.port });
      expect(listening(server.logs)?.msg).toMatch(/all interfaces/);
      expect(await connect(externalAddress(), server.port)).toBe('accepted');
    });

    it('in production listens on every interface unless HOST is set', async () => {
      const server = await startServer({ env: PRODUCTION, dir });
      expect(listening(server.logs)?.msg).toMatch(/all interfaces/);
      expect(await connect(externalAddress(), server.port)).toBe('accepted');
    });
  });

  it('refuses to start on invalid configuration with one line naming the variable', () => {
    const result = spawnSync(process.execPath, [SERVER], { cwd: dir, env: { PATH: process.env.PATH ?? '', ACCESS_TOKEN_TTL: 'soon' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^config: ACCESS_TOKEN_TTL /)]);
  });

  it('refuses to start in production without a JWT_SECRET of 32 bytes', () => {
    const result = spawnSync(process.execPath, [SERVER], { cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', JWT_SECRET: 'short', MAIL_DISABLED: 'true' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^config: JWT_SECRET must be set to at least 32 bytes in production/);
  });

  it('refuses to start in production without SMTP_URL unless MAIL_DISABLED=true, in one line', () => {
    const result = spawnSync(process.execPath, [SERVER], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...PRODUCTION, MAIL_DISABLED: '' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'config: SMTP_URL must be set in production to send verification and password-reset mail (or MAIL_DISABLED=true to turn both off)',
    ]);
  });

  it('does not seed in production', async () => {
    const server = await startServer({ env: PRODUCTION, dir });
    const url = `http://127.0.0.1:${server.port}`;
    {
      expect(messages(server.logs)).not.toContain('seeded');
      expect((await request(url).post('/token').send({ username: 'johndoe', password: 'secret' })).status).toBe(401);
      expect((await request(url).post('/token').send({ username: 'admin', password: 'admin-secret' })).status).toBe(401);
    }
  });
});

describe('npm run seed (dist/seeders/cli.js)', () => {
  it('creates the demo user once and is idempotent', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'auth-seed-'));
    try {
      const env = { PATH: process.env.PATH ?? '', DATABASE_URL: `sqlite:${path.join(dir, 'seed.sqlite')}` };
      const cli = path.join(ROOT, 'dist/seeders/cli.js');
      const first = spawnSync(process.execPath, [cli], { cwd: dir, env, encoding: 'utf8' });
      const second = spawnSync(process.execPath, [cli], { cwd: dir, env, encoding: 'utf8' });
      expect(first.status).toBe(0);
      expect(first.stdout).toContain('seeded demo user johndoe');
      expect(first.stdout).toContain('seeded demo admin admin / admin-secret');
      expect(second.status).toBe(0);
      expect(second.stdout).toContain('demo user johndoe already exists');
      expect(second.stdout).toContain('demo admin admin already exists');
      const production = spawnSync(process.execPath, [cli], { cwd: dir, env: { ...env, NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), MAIL_DISABLED: 'true' }, encoding: 'utf8' });
      expect(production.status).toBe(1);
      expect(production.stderr).toContain('seeding is for development only');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
