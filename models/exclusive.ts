import { Options, Sequelize } from 'sequelize';
import { POSTGRES_TIMEOUTS } from '.';

const queues = new WeakMap<Sequelize, Promise<unknown>>();

/**
 * Runs `work` inside one transaction that first takes a lock every process of the
 * deployment respects, so such runs never overlap, in one process or across many:
 * migrations (models/migrate.ts) and changes to the signing keys. `work` must send
 * every query through the Sequelize instance it is handed.
 *
 * - PostgreSQL: `pg_advisory_xact_lock(lockKey)`. The lock belongs to one
 *   connection, and Sequelize hands each query whichever pooled connection is free,
 *   so the run gets a Sequelize instance of its own with a pool of exactly one
 *   connection (never evicted: min 1): BEGIN, the lock, the work, COMMIT all go
 *   over that connection. The lock ends with the transaction, or with the
 *   connection should the process die.
 * - SQLite: `BEGIN IMMEDIATE` takes the database's write lock at once, on the
 *   default connection where Sequelize runs every query outside a transaction; a
 *   second process waits in SQLite's busy handler (the 5 s busy_timeout of
 *   models/index.ts). Anything else sent on that connection meanwhile would join
 *   the transaction, so only what runs before a server listens (boot) or in a CLI
 *   may call this on SQLite.
 *
 * Calls on one Sequelize instance queue up behind each other. ROLLBACK on any failure.
 */
export function exclusively<T>(sequelize: Sequelize, lockKey: number, queryTimeoutMs: number, work: (locked: Sequelize) => Promise<T>): Promise<T> {
  const previous = queues.get(sequelize) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => locked(sequelize, lockKey, queryTimeoutMs, work));
  queues.set(sequelize, run);
  return run;
}

async function locked<T>(sequelize: Sequelize, lockKey: number, queryTimeoutMs: number, work: (locked: Sequelize) => Promise<T>): Promise<T> {
  if (sequelize.getDialect() !== 'postgres') return inTransaction(sequelize, ['BEGIN IMMEDIATE'], work);
  const single = onOneConnection(sequelize, queryTimeoutMs);
  try {
    return await inTransaction(single, ['BEGIN', `SELECT pg_advisory_xact_lock(${lockKey})`], work);
  } finally {
    await single.close();
  }
}

async function inTransaction<T>(sequelize: Sequelize, begin: string[], work: (locked: Sequelize) => Promise<T>): Promise<T> {
  await sequelize.query(begin[0]);
  try {
    for (const statement of begin.slice(1)) await sequelize.query(statement);
    const result = await work(sequelize);
    await sequelize.query('COMMIT');
    return result;
  } catch (error) {
    await sequelize.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A Sequelize instance on the same PostgreSQL database whose pool holds exactly one connection. */
function onOneConnection(sequelize: Sequelize, queryTimeoutMs: number): Sequelize {
  const { database, username, password, host, port, dialectOptions } = sequelize.config;
  const { logging } = (sequelize as unknown as { options: Options }).options;
  return new Sequelize({
    dialect: 'postgres',
    database,
    username,
    password: password ?? undefined,
    host,
    port: port === undefined ? undefined : Number(port),
    logging,
    pool: { max: 1, min: 1, acquire: queryTimeoutMs, idle: queryTimeoutMs },
    dialectOptions: {
      ...dialectOptions,
      connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
      query_timeout: queryTimeoutMs,
    },
  });
}
