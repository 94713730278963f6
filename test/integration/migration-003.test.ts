import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { createApp } from '../../app';
import { loadConfig } from '../../config';
import { openDatabase } from '../../models';
import * as m001 from '../../models/migrations/001-create-users-and-refresh-tokens';
import * as m002 from '../../models/migrations/002-rotation-marks-parent';
import * as m003 from '../../models/migrations/003-sessions';
import * as m004 from '../../models/migrations/004-roles';
import { DIALECTS, TEST_ENV } from '../helpers/app';
import { sha256 } from '../helpers/cookies';
import { createPostgresDatabase, PostgresDatabase } from '../helpers/postgres';

const DAY = 86_400_000;

/**
 * A database from before the sessions table, with refresh tokens in it, upgraded in
 * place: each chain becomes a session (revoked if its tokens were), and the tokens
 * that were live stay usable.
 */
describe.each(DIALECTS)('migration 003-sessions on a database in use (%s)', (dialect) => {
  let postgres: PostgresDatabase | null = null;
  afterAll(() => postgres?.drop());

  it('turns every chain into a session and keeps live tokens working', async () => {
    postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    const config = loadConfig({ ...TEST_ENV, ...(postgres ? { DATABASE_URL: postgres.url } : {}) });
    const db = await openDatabase(config.database);
    try {
      const context = db.sequelize.getQueryInterface();
      await m001.up({ context });
      await m002.up({ context });

      const now = Date.now();
      const at = (daysAgo: number) => new Date(now - daysAgo * DAY);
      await db.sequelize.query(
        `INSERT INTO users (id, username, username_key, password_hash, session_version, created_at, updated_at)
          VALUES ('00000000-0000-4000-8000-000000000001', 'olduser', 'olduser', 'x', 3, :created, :created)`,
        { replacements: { created: at(10) }, type: QueryTypes.INSERT },
      );
      const token = (id: string, chain: string, parent: string | null, raw: string, createdDaysAgo: number, rotated: boolean, revoked: boolean) =>
        db.sequelize.query(
          `INSERT INTO refresh_tokens (id, user_id, chain_id, parent_id, token_hash, expires_at, rotated_at, revoked_at, created_at)
            VALUES (:id, '00000000-0000-4000-8000-000000000001', :chain, :parent, :hash, :expires, :rotated, :revoked, :created)`,
          {
            replacements: {
              id, chain, parent, hash: sha256(raw),
              expires: at(createdDaysAgo - 30),
              rotated: rotated ? at(createdDaysAgo - 1) : null,
              revoked: revoked ? at(1) : null,
              created: at(createdDaysAgo),
            },
            type: QueryTypes.INSERT,
          },
        );
      const live = 'c0000000-0000-4000-8000-00000000000a';
      const ended = 'c0000000-0000-4000-8000-00000000000b';
      await token('a0000000-0000-4000-8000-000000000001', live, null, 'live-first', 5, true, false);
      await token('a0000000-0000-4000-8000-000000000002', live, 'a0000000-0000-4000-8000-000000000001', 'live-second', 4, false, false);
      await token('b0000000-0000-4000-8000-000000000001', ended, null, 'ended-first', 3, false, true);

      await m003.up({ context });

      const sessions = await db.Session.findAll({ order: [['id', 'ASC']] });
      expect(sessions.map((s) => ({ id: s.id, version: s.sessionVersion, created: s.createdAt.getTime(), revoked: s.revokedAt !== null }))).toEqual([
        { id: live, version: 3, created: at(5).getTime(), revoked: false },
        { id: ended, version: 3, created: at(3).getTime(), revoked: true },
      ]);
      await m004.up({ context });
      const app = createApp({ config, db });
      const rotated = await request(app).post('/token/refresh').send({ refresh_token: 'live-second' });
      expect(rotated.status).toBe(200);
      expect((await request(app).post('/token/refresh').send({ refresh_token: 'ended-first' })).body.code).toBe('token_revoked');
    } finally {
      await db.sequelize.close();
    }
  });
});
