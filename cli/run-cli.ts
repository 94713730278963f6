import dotenv from 'dotenv';
import { Config, ConfigError, loadConfig } from '../config';
import { Database, openDatabase } from '../models';
import { migrate } from '../models/migrate';
import { CliError } from './cli-error';

/** The first line of an error's message: a CLI's every failure is one line, never a stack. */
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * The database as the server would open it (DATABASE_URL and the rest of its
 * configuration, .env included), pending migrations applied, handed to `use`,
 * and closed again whatever happens.
 */
export async function withDatabase<T>(use: (db: Database, config: Readonly<Config>) => Promise<T>): Promise<T> {
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
    return await use(db, config);
  } finally {
    await db.sequelize.close().catch(() => undefined);
  }
}

function describe(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ConfigError) return { message: `config: ${error.problems.join('; ')}`, exitCode: 1 };
  return { message: firstLine(error), exitCode: 1 };
}

/** Runs a CLI's main: its exit code, or its failure as one line `<name>: …` on stderr and the failure's exit code. */
export function runCli(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      const { message, exitCode } = describe(error);
      process.stderr.write(`${name}: ${message}\n`);
      process.exit(exitCode);
    },
  );
}
