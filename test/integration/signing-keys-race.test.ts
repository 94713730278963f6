import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { QueryTypes } from 'sequelize';
import { systemClock } from '../../app/clock';
import { createKeyRing } from '../../app/keys';
import { createSigningKeyService, KeyChange, SIGNING_KEY_LOCK_KEY } from '../../app/services/signing-key.service';
import { Config, loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';
import { insertSigningKey } from '../../models/signing-key.queries';
import { TEST_ENV } from '../helpers/app';
import { createPostgresDatabase, describeOnPostgres } from '../helpers/postgres';
import { kidsIn, storedKeys } from '../helpers/signing-keys';

const ROUNDS = 5;
const POSTGRES_RACERS = 8;
// In one process every SQLite connection that waits for the write lock sleeps in
// SQLite's busy handler on one of libuv's 4 pool threads, where the lock holder's
// statements (and its key generation) also run: four racers leave the holder one.
const SQLITE_RACERS = 4;

/** A fresh, empty database (a round of its own), and how to be rid of it. */
interface Target {
  url: string;
  drop(): Promise<void>;
}

interface Racer {
  db: Database;
  config: Readonly<Config>;
}

const keyEnv = (url: string) => ({ ...TEST_ENV, DATABASE_URL: url, JWT_ALGORITHM: 'ES256', KEY_ENCRYPTION_SECRET: 'the-race-tests-key-encryption-secret-0123456789' });

async function openRacers(url: string, count: number): Promise<Racer[]> {
  const config = loadConfig(keyEnv(url));
  return Promise.all(Array.from({ length: count }, async () => ({ db: await openDatabase(config.database), config })));
}

const service = ({ db, config }: Racer) => createSigningKeyService(config, db, systemClock);

/** The current and next count as another connection sees them, over and over until `done`: every committed moment it catches. */
async function watchStates(count: () => Promise<{ current: number; next: number }>, done: () => boolean): Promise<Array<{ current: number; next: number }>> {
  const seen: Array<{ current: number; next: number }> = [];
  while (!done()) seen.push(await count());
  return seen;
}

/** The changes of `rotations`, in the order they ran: each retires the key the one before made current. */
function chain(first: string, rotations: KeyChange[]): KeyChange[] {
  const byRetired = new Map(rotations.map((change) => [change.retired, change]));
  const ordered: KeyChange[] = [];
  for (let change = byRetired.get(first); change; change = byRetired.get(change.current)) ordered.push(change);
  return ordered;
}

/**
 * Races on the signing keys between instances that each hold connections of their
 * own (each racer is an openDatabase of its own, as another process would be). On
 * PostgreSQL the racers are held at a gate: the test takes the key lock first,
 * starts them all, waits until every one of them is seen waiting for that lock in
 * pg_locks, and only then lets go. On SQLite they are all connected before any starts;
 * a reader on a connection of its own watches the table throughout.
 */
function raceSuite(dialect: 'postgres' | 'sqlite', racers: number, newTarget: () => Promise<Target>): void {
  /** Runs `race` with every racer released at once: on PostgreSQL from the gate, on SQLite as they are started. */
  let gated: <T>(race: () => Promise<T>, url: string) => Promise<T>;
  if (dialect === 'postgres') {
    gated = async (race, url) => {
      const gate = new Client({ connectionString: url });
      await gate.connect();
      try {
        await gate.query('SELECT pg_advisory_lock($1)', [SIGNING_KEY_LOCK_KEY]);
        let settled = false;
        const racing = race().finally(() => (settled = true));
        racing.catch(() => undefined);
        const waiting = async () =>
          (await gate.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows[0].n as number;
        // Should the lock not hold them (the very bug this guards against), the racers finish unheld, and the checks say so.
        while (!settled && (await waiting()) < racers);
        await gate.query('SELECT pg_advisory_unlock($1)', [SIGNING_KEY_LOCK_KEY]);
        return await racing;
      } finally {
        await gate.end();
      }
    };
  } else {
    gated = (race) => race();
  }

  async function inRound(use: (url: string) => Promise<void>): Promise<void> {
    for (let round = 0; round < ROUNDS; round += 1) {
      const target = await newTarget();
      try {
        await use(target.url);
      } finally {
        await target.drop();
      }
    }
  }

  const counts = (db: Database) => async () => {
    const [row] = await db.sequelize.query<{ current: number | string; next: number | string }>(
      `SELECT sum(CASE WHEN state = 'current' THEN 1 ELSE 0 END) AS "current", sum(CASE WHEN state = 'next' THEN 1 ELSE 0 END) AS "next" FROM signing_keys`,
      { type: QueryTypes.SELECT },
    );
    return { current: Number(row.current), next: Number(row.next) };
  };

  it(`ensureKeys() from ${racers} instances at once on an empty table, ${ROUNDS} rounds: one current, one next, and every instance signs with that current`, async () => {
    await inRound(async (url) => {
      const all = await openRacers(url, racers);
      try {
        await migrate(all[0].db.sequelize);

        const outcomes = await gated(() => Promise.allSettled(all.map((racer) => service(racer).ensureKeys())), url);

        expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []))).toEqual([]);
        const made = outcomes.flatMap((o) => (o.status === 'fulfilled' && o.value ? [o.value] : []));
        expect(made).toHaveLength(1);
        const stored = await storedKeys(all[0].db);
        expect(stored.map((key) => key.state).sort()).toEqual(['current', 'next']);
        expect(kidsIn(stored, 'current')).toEqual([made[0].current]);
        const signers = await Promise.all(
          all.map(async ({ db, config }) => {
            const ring = createKeyRing({ config, db, clock: systemClock });
            try {
              await ring.ready();
              return ring.signer().kid;
            } finally {
              ring.close();
            }
          }),
        );
        expect(new Set(signers)).toEqual(new Set([made[0].current]));
      } finally {
        await Promise.all(all.map(({ db }) => db.sequelize.close()));
      }
    });
  });

  it(`rotate({ force: true }) from ${racers} instances at once, ${ROUNDS} rounds: each rotation follows the one before, never two current keys, none fails`, async () => {
    await inRound(async (url) => {
      const all = await openRacers(url, racers);
      const [watcher] = await openRacers(url, 1);
      try {
        await migrate(all[0].db.sequelize);
        await service(all[0]).ensureKeys();
        const before = await storedKeys(all[0].db);
        const [firstCurrent] = kidsIn(before, 'current');
        let settled = false;

        const [outcomes, seen] = await Promise.all([
          gated(() => Promise.allSettled(all.map((racer) => service(racer).rotate({ force: true }))).finally(() => (settled = true)), url),
          watchStates(counts(watcher.db), () => settled),
        ]);

        expect(outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []))).toEqual([]);
        const rotations = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        const ordered = chain(firstCurrent, rotations);
        expect(ordered).toHaveLength(racers);
        expect(seen.length).toBeGreaterThan(0);
        expect(seen.filter((state) => state.current !== 1 || state.next !== 1)).toEqual([]);
        const stored = await storedKeys(all[0].db);
        const last = ordered[ordered.length - 1];
        expect(kidsIn(stored, 'current')).toEqual([last.current]);
        expect(kidsIn(stored, 'next')).toEqual(last.created);
        expect(kidsIn(stored, 'previous').sort()).toEqual(ordered.map((change) => change.retired).sort());
        expect(stored).toHaveLength(racers + 2);
      } finally {
        await Promise.all([...all, watcher].map(({ db }) => db.sequelize.close()));
      }
    });
  });

  it('refuses a second current or next row written straight to the table; previous rows may be many', async () => {
    const target = await newTarget();
    const [racer] = await openRacers(target.url, 1);
    try {
      await migrate(racer.db.sequelize);
      await service(racer).ensureKeys();
      const before = await storedKeys(racer.db);
      const row = (kid: string, state: 'current' | 'next' | 'previous') => ({
        kid,
        alg: 'ES256',
        state,
        publicJwk: '{}',
        encryptedPrivateKey: 'v1.x.y.z',
        createdAt: new Date(),
        activatedAt: null,
      });

      await expect(insertSigningKey(racer.db.sequelize, row('second-current', 'current'))).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
      await expect(insertSigningKey(racer.db.sequelize, row('second-next', 'next'))).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
      expect(await storedKeys(racer.db)).toEqual(before);

      await insertSigningKey(racer.db.sequelize, row('old-1', 'previous'));
      await insertSigningKey(racer.db.sequelize, row('old-2', 'previous'));
      expect(kidsIn(await storedKeys(racer.db), 'previous').sort()).toEqual(['old-1', 'old-2']);
    } finally {
      await racer.db.sequelize.close();
      await target.drop();
    }
  });
}

describeOnPostgres(`signing keys raced on PostgreSQL (${POSTGRES_RACERS} instances)`, () => {
  raceSuite('postgres', POSTGRES_RACERS, async () => {
    const database = await createPostgresDatabase('auth_keys_race');
    return { url: database.url, drop: database.drop };
  });
});

describe(`signing keys raced on one SQLite file (${SQLITE_RACERS} instances)`, () => {
  raceSuite('sqlite', SQLITE_RACERS, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'auth-keys-race-'));
    return { url: `sqlite:${path.join(dir, 'auth.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  });
});
