import type { Logger } from 'pino';
import { QueryTypes } from 'sequelize';
import type { Config } from '../config';
import type { Database } from '../models';
import { Clock, systemClock } from './clock';
import { pruneDoneMail } from './services/mail-prune.service';
import { PruneCounts, pruneDeadTokens } from './services/token-prune.service';

/**
 * The PostgreSQL advisory lock key of the prune: any fixed number, the same in every
 * process of this server, and not the migrations' (models/migrate.ts,
 * MIGRATION_LOCK_KEY), so a prune never waits for a migration nor the reverse.
 */
export const TOKEN_PRUNE_LOCK_KEY = 7_146_031_220;

/** What one prune did: deleted (maybe nothing), or stood aside for another process pruning the same database. */
export type PruneOutcome = ({ outcome: 'pruned'; mails: number } & PruneCounts) | { outcome: 'skipped' };

export interface PruneDeps {
  db: Database;
  config: Readonly<Config>;
  clock?: Clock;
  /** Stops the prune between two batches. */
  signal?: AbortSignal;
}

/**
 * One prune of dead refresh tokens (app/services/token-prune.service.ts), unless
 * another process is pruning the same database at this moment.
 *
 * - PostgreSQL: the run first takes `pg_try_advisory_xact_lock(TOKEN_PRUNE_LOCK_KEY)`
 *   inside a transaction that holds one pooled connection for the whole run, and
 *   skips when another session holds the lock. The transaction only holds the lock:
 *   it writes nothing and keeps no snapshot, while the deletes go out on other
 *   connections, each its own autocommit. Its end (COMMIT, a rollback on failure,
 *   or the connection dying with its process) releases the lock, so no lock
 *   outlives its run, whatever happens to the run.
 * - SQLite: no lock; one process per database file prunes (the caller sees to it:
 *   the cluster primary).
 */
export async function pruneUnlessRunningElsewhere({ db, config, clock = systemClock, signal }: PruneDeps): Promise<PruneOutcome> {
  const prune = async (): Promise<PruneOutcome> => {
    const counts = await pruneDeadTokens(db, config, clock, { signal });
    return { outcome: 'pruned', ...counts, mails: await pruneDoneMail(db, clock, { signal }) };
  };
  if (db.sequelize.getDialect() !== 'postgres') return prune();
  return db.sequelize.transaction(async (transaction): Promise<PruneOutcome> => {
    const [{ locked }] = await db.sequelize.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(${TOKEN_PRUNE_LOCK_KEY}) AS locked`, {
      transaction,
      type: QueryTypes.SELECT,
    });
    return locked ? prune() : { outcome: 'skipped' };
  });
}

/** A prune that failed (logged) gives this rather than throwing. */
export type PruneRun = PruneOutcome | { outcome: 'failed' };

export interface TokenPruning {
  /** Prunes now, or joins the run already under way: one schedule never runs two at once. Never throws. */
  runOnce(): Promise<PruneRun>;
  /** No further run starts; a run under way stops after its current batch, and this resolves once it has. */
  stop(): Promise<void>;
}

export interface TokenPruningDeps {
  db: Database;
  config: Readonly<Config>;
  logger: Logger;
  clock?: Clock;
}

/**
 * The first run comes this soon after a start (or one interval, if shorter): a
 * server redeployed more often than the interval must still prune.
 */
export const FIRST_PRUNE_AFTER_MS = 60_000;

/**
 * Prunes every `config.tokenPruneInterval` seconds (0: never; `npm run prune` still
 * does), the first time a minute after the start. The next run is timed from
 * the end of the last, so runs never overlap, and the timer is unref'd: it never
 * keeps a process alive. A removal is logged at info with its counts, a skip (another
 * process is pruning) at debug, a failure at error; nothing is thrown.
 */
export function startTokenPruning({ db, config, logger, clock = systemClock }: TokenPruningDeps): TokenPruning {
  const intervalMs = config.tokenPruneInterval * 1000;
  const stopping = new AbortController();
  let running: Promise<PruneRun> | null = null;
  let timer: NodeJS.Timeout | undefined;

  async function run(): Promise<PruneRun> {
    try {
      const outcome = await pruneUnlessRunningElsewhere({ db, config, clock, signal: stopping.signal });
      if (outcome.outcome === 'skipped') logger.debug('token prune skipped: another process is pruning this database');
      else if (outcome.tokens + outcome.sessions + outcome.mails > 0) {
        logger.info({ tokens: outcome.tokens, sessions: outcome.sessions, mails: outcome.mails }, 'dead refresh tokens and old mail pruned');
      }
      return outcome;
    } catch (error) {
      logger.error({ err: error }, 'token prune failed');
      return { outcome: 'failed' };
    }
  }

  function runOnce(): Promise<PruneRun> {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  }

  function scheduleNext(delayMs = intervalMs): void {
    if (intervalMs === 0 || stopping.signal.aborted) return;
    timer = setTimeout(function pruneOnSchedule() {
      void runOnce().then(() => scheduleNext());
    }, delayMs);
    timer.unref();
  }

  scheduleNext(Math.min(intervalMs, FIRST_PRUNE_AFTER_MS));
  return {
    runOnce,
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}
