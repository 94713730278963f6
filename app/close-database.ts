import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';

/** How long closing the database may take at shutdown before the process exits anyway. */
export const DATABASE_CLOSE_MS = 3_000;

/**
 * Closes the database, but never waits forever for it: with PostgreSQL gone
 * silent (a partition), ending a pooled connection waits for a goodbye that never
 * comes. Everything acknowledged was committed already; only the goodbye is lost.
 */
export async function closeDatabase(sequelize: Sequelize, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), DATABASE_CLOSE_MS);
  });
  try {
    const outcome = await Promise.race([sequelize.close().then(() => 'closed' as const), timeout]);
    if (outcome === 'timeout') logger.error({ afterMs: DATABASE_CLOSE_MS }, 'closing the database timed out');
  } catch (error) {
    logger.error({ err: error }, 'closing the database failed');
  } finally {
    clearTimeout(timer);
  }
}
