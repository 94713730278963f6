import { pruneUnlessRunningElsewhere } from '../app/token-pruning';
import { usageError } from './cli-error';
import { runCli, withDatabase } from './run-cli';

const USAGE = `Usage: npm run prune   (or: node dist/cli/prune.js)

Deletes the refresh tokens and sessions that can no longer matter (docs/architecture.md,
"Pruning dead refresh tokens"), in batches, and prints how many went. Uses DATABASE_URL and
the rest of the server's configuration (.env included) and applies pending migrations first.
On PostgreSQL, when another process is pruning the same database, it says so and does nothing.
Exits 0 on success; otherwise prints one line on stderr.
`;

/**
 * `npm run prune`: the prune the server runs every TOKEN_PRUNE_INTERVAL, now, from
 * a shell or a cron job (with TOKEN_PRUNE_INTERVAL=0, the only prune). Returns the
 * line it prints.
 */
async function main(argv: string[]): Promise<string> {
  if (argv.length === 1 && ['--help', '-h'].includes(argv[0])) return USAGE.trimEnd();
  if (argv.length > 0) throw usageError(`prune takes no arguments (got "${argv[0]}")`);
  return withDatabase(async (db, config) => {
    const outcome = await pruneUnlessRunningElsewhere({ db, config });
    if (outcome.outcome === 'skipped') return 'skipped: another process is pruning this database now';
    return `pruned ${outcome.tokens} refresh tokens, ${outcome.sessions} sessions and ${outcome.mails} mails`;
  });
}

runCli('prune', async () => {
  process.stdout.write(`${await main(process.argv.slice(2))}\n`);
  return 0;
});
