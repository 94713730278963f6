import dotenv from 'dotenv';
import { createServices } from '../app';
import { ConfigError, loadConfig } from '../config';
import { Database, openDatabase } from '../models';
import { migrate } from '../models/migrate';
import { CliError } from './cli-error';
import { readPassword } from './read-password';
import { parseArgs, USAGE } from './users.args';
import { runCommand } from './users.commands';

/** The first line of an error's message: the CLI's every failure is one line, never a stack. */
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

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
    const services = createServices({ config, db });
    const lines = await runCommand(invocation, { services, readPassword: (username) => readPassword(process.stdin, process.stderr, username) });
    for (const line of lines) process.stdout.write(`${line}\n`);
    return 0;
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
  (code) => process.exit(code),
  (error: unknown) => {
    const { message, exitCode } = describe(error);
    process.stderr.write(`users: ${message}\n`);
    process.exit(exitCode);
  },
);
