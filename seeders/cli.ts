import dotenv from 'dotenv';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../models';
import { migrate } from '../models/migrate';
import { createPasswordService } from '../app/services/password.service';
import { DEMO_ACCOUNTS, seedDemoAccount } from './demo-user';

/** `npm run seed`: applies migrations and creates the demo accounts (johndoe, admin) if missing. Refuses to run in production. */
async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = loadConfig(process.env);
  if (config.env === 'production') throw new Error('seeding is for development only; NODE_ENV is production');
  const db = await openDatabase(config.database);
  try {
    await migrate(db.sequelize);
    const passwords = createPasswordService(config.argon2, config.threadPool.hashConcurrency);
    for (const account of DEMO_ACCOUNTS) {
      const created = await seedDemoAccount(db, passwords, account);
      const { kind, username, password } = account;
      console.log(created ? `seeded demo ${kind} ${username} / ${password}` : `demo ${kind} ${username} already exists`);
    }
  } finally {
    await db.sequelize.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.problems.map((p) => `config: ${p}`).join('\n') : `seed failed: ${String(error)}`);
  process.exit(1);
});
