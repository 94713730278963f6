import type { Database } from '../../models';
import { deleteDoneMail } from '../../models/prune.queries';
import type { Clock } from '../clock';
import { PRUNE_BATCH_SIZE } from './token-prune.service';

/** How long a sent or given-up mail stays, for an operator to look at (docs/mail.md, "What to watch"). */
export const MAIL_RETENTION_SECONDS = 7 * 86400;

/**
 * Deletes the mails that can no longer matter: sent or given up more than
 * MAIL_RETENTION_SECONDS ago, whose link's token (the hash kept in the row) is
 * used, revoked or expired. A pending mail, and the row of a token still usable,
 * always stay. In batches, each its own autocommit, like the token prune; returns how many went.
 */
export async function pruneDoneMail(db: Database, clock: Clock, { batchSize = PRUNE_BATCH_SIZE, signal }: { batchSize?: number; signal?: AbortSignal } = {}): Promise<number> {
  const now = clock.now();
  const cutoff = new Date(now.getTime() - MAIL_RETENTION_SECONDS * 1000);
  let deleted = 0;
  while (signal?.aborted !== true) {
    const batch = await deleteDoneMail(db, cutoff, now, batchSize);
    deleted += batch;
    if (batch < batchSize) break;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return deleted;
}
