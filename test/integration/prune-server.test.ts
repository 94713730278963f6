import { call, killAllServers, removeTempDirs, startServer } from '../helpers/server-process';
import { session } from '../security/faults/flows';

/** A lone `npm start` prunes by itself, on TOKEN_PRUNE_INTERVAL (the first run a minute after start at most). */
afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

it('a lone server deletes dead sessions on its own schedule', async () => {
  const server = await startServer({ env: { TOKEN_PRUNE_INTERVAL: '1', REFRESH_REUSE_INTERVAL: '0' } });
  const { tokens } = await session(server.port, 'prune');
  const out = await call(server.port, 'POST', '/auth/logout', { headers: { authorization: `Bearer ${tokens.access_token}` }, json: { refresh_token: tokens.refresh_token } });
  expect(out.status).toBe(204);
  expect(await server.waitForLog((l) => l.msg === 'dead refresh tokens and old mail pruned', 10_000)).toMatchObject({ pid: server.pid, tokens: 1, sessions: 1 });
});
