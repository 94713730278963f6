import { createServices } from '../app';
import { readPassword } from './read-password';
import { parseArgs, USAGE } from './users.args';
import { runCommand } from './users.commands';
import { runCli, withDatabase } from './run-cli';

/**
 * `npm run users -- <command>`: manage accounts from a shell, in production too
 * (it is how the first admin is made). Same configuration as server.ts, pending
 * migrations applied first, every change through the services the API uses.
 */
async function main(argv: string[]): Promise<number> {
  const invocation = parseArgs(argv);
  if (invocation === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  return withDatabase(async (db, config) => {
    const services = createServices({ config, db });
    const lines = await runCommand(invocation, { services, readPassword: (username) => readPassword(process.stdin, process.stderr, username) });
    for (const line of lines) process.stdout.write(`${line}\n`);
    return 0;
  });
}

runCli('users', () => main(process.argv.slice(2)));
