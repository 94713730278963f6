import type { Options } from 'sequelize';
import type { Database } from '../../models';

export interface LoggedStatement {
  /** The SQL as sent, replacements already in it. */
  sql: string;
  /** Bind parameters ($1, …), which model queries send apart from the SQL. */
  bind?: unknown[] | Record<string, unknown>;
}

/**
 * Calls `onStatement` with every statement `db` sends from now on (Sequelize's
 * `logging` option, read afresh for every query), until the returned function is
 * called. Sequelize's "Executing (…): " prefix is taken off.
 */
export function logStatements(db: Database, onStatement: (statement: LoggedStatement) => void): () => void {
  const options = (db.sequelize as unknown as { options: Options }).options;
  const previous = options.logging;
  options.logging = (message: string, queryOptions?: unknown) => {
    const bind = (queryOptions as { bind?: LoggedStatement['bind'] } | undefined)?.bind;
    onStatement({ sql: message.replace(/^Executing \([^)]*\): /, ''), bind });
  };
  return () => {
    options.logging = previous;
  };
}
