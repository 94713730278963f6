import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { ROOT, SERVER_ENTRY, startServer } from '../helpers/server-process';

const SERVER = SERVER_ENTRY;

describe('server boot (node dist/server.js)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-boot-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('in development, migrates an empty SQLite file, seeds johndoe/secret, says so, and logs him in', async () => {
    const { child, url, lines } = await startServer({ ARGON2_MEMORY_KIB: '19456' }, dir);
    try {
      expect(lines.join('\n')).toContain('seeded demo user johndoe / secret');
      const login = await request(url).post('/token').type('form').send({ username: 'johndoe', password: 'secret' });
      expect(login.status).toBe(200);
      const guarded = await request(url).get('/protected').set('Authorization', `Bearer ${login.body.access_token}`);
      expect(guarded.body.username).toBe('johndoe');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses to start on invalid configuration with one line naming the variable', () => {
    const result = spawnSync(process.execPath, [SERVER], { cwd: dir, env: { PATH: process.env.PATH ?? '', ACCESS_TOKEN_TTL: 'soon' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^config: ACCESS_TOKEN_TTL /)]);
  });

  it('refuses to start in production without a JWT_SECRET of 32 bytes', () => {
    const result = spawnSync(process.execPath, [SERVER], { cwd: dir, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', JWT_SECRET: 'short' }, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^config: JWT_SECRET must be set to at least 32 bytes in production/);
  });

  it('does not seed in production', async () => {
    const env = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), DATABASE_URL: `sqlite:${path.join(dir, 'prod.sqlite')}` };
    const { child, url, lines } = await startServer(env, dir);
    try {
      expect(lines.join('\n')).not.toContain('seeded');
      expect((await request(url).post('/token').send({ username: 'johndoe', password: 'secret' })).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
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
      expect(second.status).toBe(0);
      expect(second.stdout).toContain('already exists');
      const production = spawnSync(process.execPath, [cli], { cwd: dir, env: { ...env, NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40) }, encoding: 'utf8' });
      expect(production.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
