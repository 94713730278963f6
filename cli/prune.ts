import dotenv from 'dotenv';
import { pruneUnlessRunningElsewhere } from '../app/token-pruning';
import { ConfigError, loadConfig } from '../config';
import { Database, openDatabase } from '../models';
import { migrate } from '../models/migrate';
import { CliError, usageError } from './cli-error';

const USAGE = `Usage: npm run prune   (or: node dist/cli/prune.js)

Deletes the refresh tokens and sessions that can no longer matter (docs/architecture.md,
"Pruning dead refresh tokens"), in batches, and prints how many went. Uses DATABASE_URL and
the rest of the server's configuration (.env included) and applies pending migrations first.
On PostgreSQL, when another process is pruning the same database, it says so and does nothing.
Exits 0 on success; otherwise prints one line on stderr.
`;

/** The first line of an error's message: the CLI's every failure is one line, never a stack. */
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * `npm run prune`: the prune the server runs every TOKEN_PRUNE_INTERVAL, now, from
 * a shell or a cron job (with TOKEN_PRUNE_INTERVAL=0, the only prune). Returns the
 * line it prints.
 */
async function main(argv: string[]): Promise<string> {
  if (argv.length === 1 && ['--help', '-h'].includes(argv[0])) return USAGE.trimEnd();
  if (argv.length > 0) throw usageError(`prune takes no arguments (got "${argv[0]}")`);
  dotenv.config({ quiet: true });
  const config = loadConfig(process.env);
  let db: Database;
  try {
    db = await openDatabase(config.database);
  } catch (error) {
    throw new CliError(`cannot reach the database: ${firstLine(error)}`);
  }
  try {
    await migrate(db.sequelize).catch((error: unknown) => {
      throw new CliError(`cannot migrate the database: ${firstLine(error)}`);
    });
    const outcome = await pruneUnlessRunningElsewhere({ db, config });
    if (outcome.outcome === 'skipped') return 'skipped: another process is pruning this database now';
    return `pruned ${outcome.tokens} refresh tokens and ${outcome.sessions} sessions`;
  } finally {
    await db.sequelize.close().catch(() => undefined);
  }
}

function describe(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { message: `config: ${error.problems.join('; ')}`, exitCode: 1 };
  return { message: firstLine(error), exitCode: 1 };
}

main(process.argv.slice(2)).then(
  (line) => {
    process.stdout.write(`${line}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    const { message, exitCode } = describe(error);
    process.stderr.write(`prune: ${message}\n`);
    process.exit(exitCode);
  },
);
