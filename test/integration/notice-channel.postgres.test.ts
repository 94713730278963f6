import pino from 'pino';
import request from 'supertest';
import type { Express } from 'express';
import { createApp, createServices } from '../../app';
import { postgresChannel } from '../../app/invalidation/postgres-channel';
import { Database, openDatabase } from '../../models';
import { createTestContext, TestContext } from '../helpers/app';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { createUser, login } from '../factories/user.factory';
import { describeOnPostgres } from '../helpers/postgres';

/**
 * Two server instances on one PostgreSQL database, each with its own connections,
 * its own session cache and its own LISTEN connection, as two machines would have.
 * Instance B's listener goes through a breakable proxy. Nothing is mocked: the
 * notices are the trigger's NOTIFYs (migration 008).
 */
const quiet = pino({ enabled: false });
const FAST = { heartbeatMs: 100, heartbeatTimeoutMs: 200, reconnectMinMs: 50, reconnectMaxMs: 200 };

/** Polls `condition` on every turn of the event loop until it holds; rejects past `withinMs`. */
async function until(condition: () => boolean | Promise<boolean>, withinMs: number, what: string): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return performance.now() - started;
}

describeOnPostgres('session changes reach other instances through PostgreSQL NOTIFY', () => {
  let ctx: TestContext;
  let dbB: Database;
  let proxy: TcpProxy;
  let channelB: ReturnType<typeof postgresChannel>;
  let appB: Express;

  beforeAll(async () => {
    ctx = await createTestContext({ dialect: 'postgres' });
    const url = new URL(ctx.config.database.dialect === 'postgres' ? ctx.config.database.url : '');
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    dbB = await openDatabase(ctx.config.database);
    channelB = postgresChannel(viaProxy.toString(), quiet, FAST);
    await channelB.ready();
    appB = createApp({ config: ctx.config, db: dbB, logger: quiet, services: createServices({ config: ctx.config, db: dbB, channel: channelB }) });
  });
  afterAll(async () => {
    await channelB.close();
    await dbB.sequelize.close();
    await proxy.close();
    await ctx.close();
  });

  const me = (app: Express, token: string) => request(app).get('/users/me').set('Authorization', `Bearer ${token}`);

  it('refuses on B, within a second, the tokens a logout-all on A ended', async () => {
    const { username, password } = await createUser(ctx.db);
    const { access_token: token } = await login(ctx.app, username, password);
    expect((await me(appB, token)).status).toBe(200); // B holds the user's state in memory now

    await request(ctx.app).post('/auth/logout').set('Authorization', `Bearer ${token}`).send({ all: true }).expect(204);
    const ms = await until(async () => (await me(appB, token)).status === 401, 1000, 'B refuses the ended token');
    expect(ms).toBeLessThan(1000);
  });

  it('hears writes made outside any server (raw SQL, as the users CLI or an operator would)', async () => {
    const { user, username, password } = await createUser(ctx.db);
    const { access_token: token } = await login(appB, username, password);
    expect((await me(appB, token)).status).toBe(200);
    await ctx.db.sequelize.query("UPDATE users SET disabled_at = now() WHERE id = :id", { replacements: { id: user.id } });
    await until(async () => (await me(appB, token)).status === 401, 1000, 'B refuses the disabled account');
    expect((await me(appB, token)).body.code).toBe('account_disabled');
  });

  it('does not trust its cache while the channel is down, and starts afresh when it is back', async () => {
    const { user, username, password } = await createUser(ctx.db);
    const { access_token: token } = await login(appB, username, password);
    expect((await me(appB, token)).status).toBe(200);

    await proxy.cut();
    await until(() => !channelB.isLive(), 2000, 'the channel notices it is down');
    // A revocation B cannot hear of: B reads the database on every check until the channel is back.
    await ctx.db.sequelize.query('UPDATE users SET session_version = session_version + 1 WHERE id = :id', { replacements: { id: user.id } });
    expect((await me(appB, token)).body.code).toBe('token_revoked');

    await proxy.restore();
    await until(() => channelB.isLive(), 5000, 'the channel reconnects');
    expect((await me(appB, token)).body.code).toBe('token_revoked');
  });

  it('finds a silent connection (a partition) with its heartbeat', async () => {
    const { user, username, password } = await createUser(ctx.db);
    const { access_token: token } = await login(appB, username, password);
    expect((await me(appB, token)).status).toBe(200);

    await proxy.hang();
    await until(() => !channelB.isLive(), FAST.heartbeatMs + FAST.heartbeatTimeoutMs + 1000, 'the heartbeat finds the silent connection');
    await ctx.db.sequelize.query('UPDATE users SET session_version = session_version + 1 WHERE id = :id', { replacements: { id: user.id } });
    expect((await me(appB, token)).body.code).toBe('token_revoked');

    await proxy.restore();
    await until(() => channelB.isLive(), 5000, 'the channel reconnects');
  });

  it('sends no notice for a write that rolls back', async () => {
    const { user, username, password } = await createUser(ctx.db);
    const { access_token: token } = await login(appB, username, password);
    expect((await me(appB, token)).status).toBe(200);
    const heard: Array<string | null> = [];
    const listener = postgresChannel(ctx.config.database.dialect === 'postgres' ? ctx.config.database.url : '', quiet, FAST);
    listener.listen((id) => heard.push(id));
    await listener.ready();
    try {
      const t = await ctx.db.sequelize.transaction();
      await ctx.db.sequelize.query('UPDATE users SET session_version = session_version + 1 WHERE id = :id', { replacements: { id: user.id }, transaction: t });
      await t.rollback();
      await ctx.db.sequelize.query("UPDATE users SET role = 'admin' WHERE id = :id", { replacements: { id: user.id } });
      await until(() => heard.includes(user.id), 1000, 'the committed change is heard');
      expect(heard.filter((id) => id === user.id)).toHaveLength(1);
    } finally {
      await listener.close();
    }
  });
});
