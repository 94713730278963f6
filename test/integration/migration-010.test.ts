import { QueryTypes } from 'sequelize';
import { emailKey } from '../../app/services/user.service';
import { loadConfig } from '../../config';
import { openDatabase } from '../../models';
import * as m001 from '../../models/migrations/001-create-users-and-refresh-tokens';
import * as m002 from '../../models/migrations/002-rotation-marks-parent';
import * as m003 from '../../models/migrations/003-sessions';
import * as m004 from '../../models/migrations/004-roles';
import * as m010 from '../../models/migrations/010-mail-and-account-tokens';
import { DIALECTS, TEST_ENV } from '../helpers/app';
import { createPostgresDatabase, PostgresDatabase } from '../helpers/postgres';

/**
 * Addresses stored before migration 010 get the same key the server computes for
 * new ones (ASCII letters folded, nothing else), on both dialects, so a reset
 * request or a registration finds them.
 */
describe.each(DIALECTS)('migration 010 on users with addresses (%s)', (dialect) => {
  let postgres: PostgresDatabase | null = null;
  afterAll(() => postgres?.drop());

  it('keys every existing address as emailKey() does', async () => {
    postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    const config = loadConfig({ ...TEST_ENV, ...(postgres ? { DATABASE_URL: postgres.url } : {}) });
    const db = await openDatabase(config.database);
    try {
      const context = db.sequelize.getQueryInterface();
      for (const migration of [m001, m002, m003, m004]) await migration.up({ context });
      const emails = ['Ada@Example.COM', 'ÜNAL@Example.com', 'straße@example.com', 'plain@example.com'];
      for (const [i, email] of emails.entries()) {
        await db.sequelize.query(
          `INSERT INTO users (id, username, username_key, email, password_hash, session_version, role, created_at, updated_at)
            VALUES (:id, :name, :name, :email, 'x', 0, 'user', :now, :now)`,
          { replacements: { id: `00000000-0000-4000-8000-00000000000${i}`, name: `user${i}`, email, now: new Date() }, type: QueryTypes.INSERT },
        );
      }
      await m010.up({ context });
      const rows = await db.sequelize.query<{ email: string; email_key: string }>('SELECT email, email_key FROM users ORDER BY username', { type: QueryTypes.SELECT });
      expect(rows).toEqual(emails.map((email) => ({ email, email_key: emailKey(email) })));
    } finally {
      await db.sequelize.close();
    }
  });
});
