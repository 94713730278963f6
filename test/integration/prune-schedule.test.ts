import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { createLogger } from '../../app/logger';
import { PruneRun, startTokenPruning, TOKEN_PRUNE_LOCK_KEY, TokenPruning } from '../../app/token-pruning';
import { loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { createTestContext, DIALECTS, TEST_ENV, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { insertChains, tableCounts } from '../helpers/dead-chains';
import { ROOT } from '../helpers/server-process';
import { createUser } from '../factories/user.factory';

interface LogLine {
  level: number;
  msg: string;
  tokens?: number;
  sessions?: number;
}

/** A logger at debug whose lines land in `lines`, and a way to wait for the first line that matches. */
function capturedLogger() {
  const lines: LogLine[] = [];
  const waiting: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  const logger = createLogger('debug', {
    write(chunk: string) {
      const line = JSON.parse(chunk) as LogLine;
      lines.push(line);
      for (const w of waiting.filter((candidate) => candidate.match(line))) w.resolve(line);
    },
  });
  const next = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve) => {
      const seen = lines.find(match);
      if (seen) resolve(seen);
      else waiting.push({ match, resolve });
    });
  return { logger, lines, next };
}

const pruned = (line: LogLine) => line.msg === 'dead refresh tokens and old mail pruned';

/**
 * The schedule around the prune (app/token-pruning.ts): a run's outcome and its log
 * line, one run at a time per schedule, the timer, failures, and on PostgreSQL the
 * advisory lock that lets one process of a deployment prune while the others skip.
 */
describe.each(DIALECTS)('startTokenPruning (%s)', (dialect) => {
  let ctx: TestContext;
  const schedules: TokenPruning[] = [];
  const clock = fakeClock(new Date('2031-03-01T12:00:00Z'));

  beforeEach(async () => {
    ctx = await createTestContext({ dialect, clock });
  });
  afterEach(async () => {
    await Promise.all(schedules.splice(0).map((s) => s.stop()));
    await ctx.close();
  });

  function start(env: Record<string, string> = {}, db: Database = ctx.db) {
    const log = capturedLogger();
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: ctx.config.database.dialect === 'postgres' ? ctx.config.database.url : 'sqlite::memory:', ...env });
    const schedule = startTokenPruning({ db, config, logger: log.logger, clock });
    schedules.push(schedule);
    return { schedule, ...log };
  }

  async function deadChains(count: number): Promise<void> {
    const { user } = await createUser(ctx.db);
    await insertChains(ctx.db, user.id, 'revoked', count, 2, clock.now());
  }

  it('prunes, answering and logging at info how many rows went; a run that removes nothing logs nothing at info', async () => {
    await deadChains(3);
    const { schedule, lines } = start();
    expect(await schedule.runOnce()).toEqual({ outcome: 'pruned', tokens: 6, sessions: 3, mails: 0 });
    expect(lines.filter(pruned)).toEqual([expect.objectContaining({ level: 30, tokens: 6, sessions: 3 })]);
    expect(await schedule.runOnce()).toEqual({ outcome: 'pruned', tokens: 0, sessions: 0, mails: 0 });
    expect(lines.filter((line) => line.level >= 30)).toHaveLength(1);
  });

  it('never runs twice at once in one schedule: a run asked for during another joins it', async () => {
    await deadChains(3);
    const { schedule } = start();
    const first = schedule.runOnce();
    expect(schedule.runOnce()).toBe(first);
    expect(await first).toEqual({ outcome: 'pruned', tokens: 6, sessions: 3, mails: 0 });
    expect(await schedule.runOnce()).toEqual({ outcome: 'pruned', tokens: 0, sessions: 0, mails: 0 });
  });

  it('runs every TOKEN_PRUNE_INTERVAL seconds by itself', async () => {
    await deadChains(2);
    const { next } = start({ TOKEN_PRUNE_INTERVAL: '1' });
    expect(await next(pruned)).toMatchObject({ tokens: 4, sessions: 2 });
    await deadChains(1);
    expect(await next((line) => pruned(line) && line.tokens === 2)).toMatchObject({ sessions: 1 });
  });

  it('logs a failure at error and answers it, never throwing', async () => {
    const db = await openDatabase(ctx.config.database);
    const { schedule, lines } = start({}, db);
    await db.sequelize.close();
    expect(await schedule.runOnce()).toEqual({ outcome: 'failed' });
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: 'token prune failed' })]);
  });

  it('stops after the batch under way when stopped, and starts no run after', async () => {
    await deadChains(1500);
    const { schedule } = start();
    const run = schedule.runOnce();
    await schedule.stop();
    const outcome = (await run) as PruneRun & { tokens: number };
    expect(outcome.outcome).toBe('pruned');
    expect(outcome.tokens).toBeLessThan(3000);
    expect(await schedule.runOnce()).toEqual({ outcome: 'pruned', tokens: 0, sessions: 0, mails: 0 });
    expect((await tableCounts(ctx.db)).tokens).toBe(3000 - outcome.tokens);
  });

  if (dialect !== 'postgres') return;

  /** A connection of the test's own to the same database, standing for another process. */
  async function otherProcess(): Promise<Client> {
    const client = new Client({ connectionString: (ctx.config.database as { url: string }).url });
    await client.connect();
    return client;
  }

  it('skips while another process holds the prune lock, and prunes once it is free', async () => {
    await deadChains(2);
    const other = await otherProcess();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [TOKEN_PRUNE_LOCK_KEY]);
      const { schedule, lines } = start();
      expect(await schedule.runOnce()).toEqual({ outcome: 'skipped' });
      expect(lines).toEqual([expect.objectContaining({ level: 20, msg: expect.stringMatching(/skipped/) })]);
      expect((await tableCounts(ctx.db)).tokens).toBe(4);
      await other.query('SELECT pg_advisory_unlock($1)', [TOKEN_PRUNE_LOCK_KEY]);
      expect(await schedule.runOnce()).toEqual({ outcome: 'pruned', tokens: 4, sessions: 2, mails: 0 });
    } finally {
      await other.end();
    }
  });

  it('lets exactly one of two processes racing to prune do it, the other skipping', async () => {
    const secondDb = await openDatabase(ctx.config.database);
    const blocker = await otherProcess();
    try {
      for (let round = 0; round < 5; round += 1) {
        await deadChains(10);
        const a = start();
        const b = start({}, secondDb);
        // Whichever takes the prune lock first then waits on this table lock, holding the prune lock,
        // so the other is sure to find it taken; released once the loser has answered.
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
        const runs = [a.schedule.runOnce(), b.schedule.runOnce()];
        const first = await Promise.race(runs);
        await blocker.query('COMMIT');
        const outcomes = await Promise.all(runs);
        expect(first).toEqual({ outcome: 'skipped' });
        expect(outcomes).toEqual(expect.arrayContaining([{ outcome: 'skipped' }, { outcome: 'pruned', tokens: 20, sessions: 10, mails: 0 }]));
        expect(await tableCounts(ctx.db)).toMatchObject({ tokens: 0 });
      }
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
      await Promise.all(schedules.splice(0).map((s) => s.stop()));
      await secondDb.sequelize.close();
    }
  });
});

describe('startTokenPruning, in a process of its own', () => {
  it('never keeps the process alive: the process ends while its timer waits', () => {
    const script = `
      const { openDatabase } = require('./dist/models');
      const { migrate } = require('./dist/models/migrate');
      const { loadConfig } = require('./dist/config');
      const { startTokenPruning } = require('./dist/app/token-pruning');
      const { createLogger } = require('./dist/app/logger');
      (async () => {
        const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'sqlite::memory:', TOKEN_PRUNE_INTERVAL: '1h' });
        const db = await openDatabase(config.database);
        await migrate(db.sequelize);
        startTokenPruning({ db, config, logger: createLogger('silent') });
        console.log('started');
      })();`;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['-e', script], { cwd: path.resolve(ROOT), encoding: 'utf8', timeout: 15_000 });
    expect({ status: result.status, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({ status: 0, stdout: 'started', stderr: '' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
