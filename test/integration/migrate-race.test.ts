import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { QueryTypes } from 'sequelize';
import { Database, openDatabase } from '../../models';
import { MIGRATION_LOCK_KEY, MIGRATION_NAMES, migrate } from '../../models/migrate';
import { DIALECTS } from '../helpers/app';
import { createPostgresDatabase, describeOnPostgres, TEST_DATABASE_URL } from '../helpers/postgres';
import { killAllServers, LogLine, removeTempDirs, makeTempDir, startServer } from '../helpers/server-process';

const itOnPostgres = TEST_DATABASE_URL ? it : it.skip;

/**
 * Several processes starting at once on one fresh database must not run the
 * migrations side by side (migration 002's trigger function cannot be created
 * twice on PostgreSQL; SQLite's tables likewise). Each racer here is a Sequelize
 * instance of its own, so it holds connections of its own, as another process
 * would; all of them are connected before any migrates, and then they start
 * together. Every round uses a fresh database.
 */
const ROUNDS = 5;
const POSTGRES_RACERS = 8;
// In one process every SQLite connection that waits for the write lock sleeps in
// SQLite's busy handler on one of libuv's 4 pool threads, where the lock holder's
// statements also run: more waiters than threads would starve the holder, which
// separate processes never do. Three leaves the holder a thread.
const SQLITE_RACERS = 3;

async function applied(db: Database): Promise<string[]> {
  const rows = await db.sequelize.query<{ name: string }>('SELECT name FROM sequelize_meta', { type: QueryTypes.SELECT });
  return rows.map((row) => row.name).sort();
}

/** Races `dbs` through migrate() and checks that all succeed and each migration ran exactly once, in one of them. */
async function race(dbs: Database[]): Promise<void> {
  const outcomes = await Promise.allSettled(dbs.map((db) => migrate(db.sequelize)));
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
  expect(failures).toEqual([]);
  const ran = outcomes.flatMap((o) => (o.status === 'fulfilled' ? o.value : []));
  expect(ran.sort()).toEqual([...MIGRATION_NAMES].sort());
  for (const db of dbs) expect(await applied(db)).toEqual([...MIGRATION_NAMES].sort());
}

describe('migrate() raced on one fresh database', () => {
  itOnPostgres(`PostgreSQL: ${POSTGRES_RACERS} instances at once, ${ROUNDS} rounds: all succeed, each migration applied once`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const database = await createPostgresDatabase('auth_migrate');
      const dbs: Database[] = [];
      try {
        dbs.push(...(await Promise.all(Array.from({ length: POSTGRES_RACERS }, () => openDatabase({ dialect: 'postgres', url: database.url })))));
        await race(dbs);
        const [trigger] = await dbs[0].sequelize.query<{ count: string }>(
          "SELECT count(*) AS count FROM pg_trigger WHERE tgname = 'refresh_tokens_mark_parent_rotated'",
          { type: QueryTypes.SELECT },
        );
        expect(Number(trigger.count)).toBe(1);
      } finally {
        await Promise.all(dbs.map((db) => db.sequelize.close()));
        await database.drop();
      }
    }
  });

  it(`SQLite: ${SQLITE_RACERS} instances on one new file at once, ${ROUNDS} rounds: all succeed, each migration applied once`, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const dir = mkdtempSync(path.join(tmpdir(), 'auth-migrate-'));
      const dbs: Database[] = [];
      try {
        const target = { dialect: 'sqlite' as const, storage: path.join(dir, 'auth.sqlite') };
        dbs.push(...(await Promise.all(Array.from({ length: SQLITE_RACERS }, () => openDatabase(target)))));
        await race(dbs);
      } finally {
        await Promise.all(dbs.map((db) => db.sequelize.close()));
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('SQLite: concurrent calls on one Sequelize instance run one after the other', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'auth-migrate-'));
    const db = await openDatabase({ dialect: 'sqlite', storage: path.join(dir, 'auth.sqlite') });
    try {
      await race([db, db, db]);
    } finally {
      await db.sequelize.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeOnPostgres('migrate() on PostgreSQL while another process holds the migration lock', () => {
  it('waits, migrates nothing meanwhile, and migrates once the lock is released', async () => {
    const database = await createPostgresDatabase('auth_migrate');
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    const db = await openDatabase({ dialect: 'postgres', url: database.url });
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      let settled = false;
      const migrating = migrate(db.sequelize).finally(() => (settled = true));

      // The observable event: a backend of this database waiting for that advisory lock.
      const waiting = async () => {
        const { rows } = await holder.query(
          "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        );
        return rows[0].n as number;
      };
      while ((await waiting()) === 0) expect(settled).toBe(false);
      const { rows } = await holder.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('users', 'sequelize_meta')");
      expect(rows[0].n).toBe(0);
      expect(settled).toBe(false);

      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      expect(await migrating).toEqual([...MIGRATION_NAMES]);
      expect(await applied(db)).toEqual([...MIGRATION_NAMES].sort());
    } finally {
      await holder.end();
      await db.sequelize.close();
      await database.drop();
    }
  });
});

describe('two server processes started at once on one fresh database', () => {
  afterEach(async () => {
    await killAllServers();
    removeTempDirs();
  });

  const migrationsLogged = (logs: LogLine[]) => logs.filter((line) => line.msg === 'migrations applied').flatMap((line) => line.migrations as string[]);

  it.each(DIALECTS)('%s: both become healthy, and the migrations ran once, in one of them', async (dialect) => {
    const database = dialect === 'postgres' ? await createPostgresDatabase('auth_migrate') : null;
    const dir = makeTempDir('auth-migrate-');
    const env = database ? { DATABASE_URL: database.url } : { DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}` };
    try {
      const servers = await Promise.all([startServer({ env }), startServer({ env })]);
      expect(servers.map((s) => s.isRunning())).toEqual([true, true]);
      expect(servers.flatMap((s) => migrationsLogged(s.logs)).sort()).toEqual([...MIGRATION_NAMES].sort());
    } finally {
      await killAllServers();
      await database?.drop();
    }
  });
});
