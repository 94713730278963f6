import type { Express } from 'express';
import { Client } from 'pg';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { createSession } from '../factories/user.factory';
import { describeOnPostgres } from '../helpers/postgres';

/**
 * PostgreSQL runs rotation and revocation side by side (READ COMMITTED, a pool of
 * connections), so each can miss the other's row. These tests hold one rotation in
 * the middle of its statement (after it has read the presented token, before its
 * successor is inserted) and run a revocation right then; whichever way the database
 * orders them, the successor must not outlive the revocation.
 *
 * The pause is a trigger installed in this test's own database: before a successor
 * row is inserted it waits for a shared advisory lock that the test holds. The test
 * moves on when it sees the rotation waiting for that lock, and releases it once the
 * revocation has either finished or is itself seen waiting (on the session row).
 */
const PAUSE_KEY = 4242;

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describeOnPostgres('rotation racing revocation (PostgreSQL)', () => {
  let ctx: TestContext;
  let admin: Client;
  const clock = fakeClock();
  let app: Express;

  beforeAll(async () => {
    ctx = await createTestContext({ dialect: 'postgres' });
    app = ctx.appWith({ clock });
    const { url } = ctx.config.database as { url: string };
    admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(
      `CREATE FUNCTION test_pause_rotation() RETURNS trigger AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(${PAUSE_KEY}); RETURN NEW; END $$ LANGUAGE plpgsql`,
    );
    await admin.query(
      `CREATE TRIGGER test_pause_rotation BEFORE INSERT ON refresh_tokens FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION test_pause_rotation()`,
    );
  });
  afterAll(async () => {
    await admin?.end();
    await ctx.close();
  });

  const waiting = async (locktype: 'advisory' | 'row') => {
    const kinds = locktype === 'advisory' ? "locktype = 'advisory'" : "locktype IN ('tuple', 'transactionid')";
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND ${kinds}`);
    return rows[0].n > 0;
  };

  /** Runs `revoke` while a rotation of `token` is paused mid-statement; returns the rotation's answer. */
  async function rotateDuring(token: string, revoke: () => Promise<request.Response>): Promise<request.Response> {
    await admin.query('SELECT pg_advisory_lock($1)', [PAUSE_KEY]);
    let released = false;
    const release = async () => {
      if (!released) await admin.query('SELECT pg_advisory_unlock($1)', [PAUSE_KEY]);
      released = true;
    };
    try {
      const rotating = request(app).post('/token/refresh').send({ refresh_token: token }).then((res) => res);
      await until(() => waiting('advisory'), 'the rotation to pause');
      let revoked = false;
      const revoking = revoke().then((res) => {
        revoked = true;
        return res;
      });
      await until(async () => revoked || (await waiting('row')), 'the revocation to finish or wait');
      await release();
      const [rotated, revocation] = await Promise.all([rotating, revoking]);
      expect(revocation.status).toBeLessThan(300);
      return rotated;
    } finally {
      await release();
    }
  }

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  async function expectSuccessorDead(rotated: request.Response): Promise<void> {
    if (rotated.status !== 200) return;
    const again = await request(app).post('/token/refresh').send({ refresh_token: rotated.body.refresh_token });
    expect(again.status).toBe(401);
  }

  it('ends the successor of a rotation in flight when the session is revoked (RFC 7009)', async () => {
    const { tokens } = await createSession(app, ctx.db);
    const rotated = await rotateDuring(tokens.refresh_token, () => request(app).post('/token/revoke').type('form').send({ token: tokens.refresh_token }));
    await expectSuccessorDead(rotated);
  });

  it('ends the successor of a rotation in flight on logout', async () => {
    const { tokens } = await createSession(app, ctx.db);
    const rotated = await rotateDuring(tokens.refresh_token, () =>
      request(app).post('/auth/logout').set(bearer(tokens.access_token)).send({ refresh_token: tokens.refresh_token }),
    );
    await expectSuccessorDead(rotated);
  });

  it('ends the successor and the access token of a rotation in flight on logout-all and on a password change', async () => {
    for (const end of ['logout-all', 'password'] as const) {
      const { password, tokens } = await createSession(app, ctx.db);
      const rotated = await rotateDuring(tokens.refresh_token, () =>
        end === 'logout-all'
          ? request(app).post('/auth/logout').set(bearer(tokens.access_token)).send({ all: true })
          : request(app).put('/users/me/password').set(bearer(tokens.access_token)).send({ current_password: password, new_password: `${password}-renewed` }),
      );
      await expectSuccessorDead(rotated);
      if (rotated.status === 200) {
        const guarded = await request(app).get('/protected').set(bearer(rotated.body.access_token));
        expect({ end, status: guarded.status }).toEqual({ end, status: 401 });
      }
    }
  });

  it('ends the successor of a rotation in flight when a replay of an older token revokes the session', async () => {
    const { tokens } = await createSession(app, ctx.db);
    const second = await request(app).post('/token/refresh').send({ refresh_token: tokens.refresh_token }).expect(200);
    clock.advance(11_000); // past REFRESH_REUSE_INTERVAL: replaying the first token is theft
    const rotated = await rotateDuring(second.body.refresh_token, async () => {
      const replay = await request(app).post('/token/refresh').send({ refresh_token: tokens.refresh_token });
      expect(replay.body.code).toBe('refresh_reused');
      return Object.assign(replay, { status: 204 }); // the refusal is the revocation succeeding
    });
    await expectSuccessorDead(rotated);
  });
});
