import type { Config } from '../../config';
import type { Database } from '../../models';
import { DeadChainKind, deleteEmptySessions, deleteRemainingTokens, deleteRotatedTokens, findDeadChains } from '../../models/prune.queries';
import type { Clock } from '../clock';

export interface PruneCounts {
  tokens: number;
  sessions: number;
}

export interface PruneOptions {
  /** Rows one statement deletes at most, and chains one page holds. */
  batchSize?: number;
  /** Checked between batches: once aborted, the run stops there and returns what it deleted. */
  signal?: AbortSignal;
}

export const PRUNE_BATCH_SIZE = 1000;

/** Lets requests waiting on the event loop run between two batches. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deletes the refresh-token chains that can no longer matter, with their session
 * rows, and returns how many rows went. A chain is dead once its session is over:
 * revoked, begun more than SESSION_MAX_LIFETIME ago (unless that is 0), or its
 * newest token (the only one that could still rotate) expired; and only once that
 * happened more than REFRESH_REUSE_INTERVAL ago, so a replay inside the interval
 * still gets its usual answer (revoked, expired) rather than "unknown token". A live
 * chain is never touched, its rotated tokens included: presenting one of them past
 * the interval is how theft is detected.
 *
 * Sessions ended by a session-version bump alone need no criterion of their own:
 * every bump (password change, logout-all, disabling) also revokes them.
 *
 * Works a page of chains at a time (`batchSize`, 1000 by default): their rotated
 * tokens in statements of at most `batchSize` rows, then their newest tokens, then
 * their session rows, each statement its own autocommit, with a turn of the event
 * loop between statements; a kind is done when a page comes back short. `clock` is
 * read once: the run judges every chain at the same moment.
 */
export async function pruneDeadTokens(
  db: Database,
  config: Pick<Config, 'refreshReuseInterval' | 'sessionMaxLifetime'>,
  clock: Clock,
  { batchSize = PRUNE_BATCH_SIZE, signal }: PruneOptions = {},
): Promise<PruneCounts> {
  const now = clock.now().getTime();
  const quietSince = new Date(now - config.refreshReuseInterval * 1000);
  const cutoffs: [DeadChainKind, Date][] = [
    ['revoked', quietSince],
    ...(config.sessionMaxLifetime === 0 ? [] : [['outlived', new Date(quietSince.getTime() - config.sessionMaxLifetime * 1000)] as [DeadChainKind, Date]]),
    ['expired', quietSince],
  ];
  const counts: PruneCounts = { tokens: 0, sessions: 0 };
  const stopped = () => signal?.aborted === true;

  /** Deletes one page of chains whole; returns whether anything went (a page where nothing can go would come back forever). */
  async function prunePage(chainIds: string[]): Promise<boolean> {
    const before = counts.tokens + counts.sessions;
    for (;;) {
      const deleted = await deleteRotatedTokens(db, chainIds, batchSize);
      counts.tokens += deleted;
      await nextTurn();
      if (deleted < batchSize) break;
    }
    counts.tokens += await deleteRemainingTokens(db, chainIds);
    await nextTurn();
    counts.sessions += await deleteEmptySessions(db, chainIds);
    return counts.tokens + counts.sessions > before;
  }

  for (const [kind, cutoff] of cutoffs) {
    while (!stopped()) {
      const chainIds = await findDeadChains(db, kind, cutoff, batchSize);
      if (chainIds.length === 0) break;
      const progressed = await prunePage(chainIds);
      await nextTurn();
      if (chainIds.length < batchSize || !progressed) break;
    }
  }
  return counts;
}
