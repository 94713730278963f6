import { createServices } from '../../app';
import { loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';
import { DIALECTS, TEST_ENV } from '../helpers/app';
import { createPostgresDatabase, PostgresDatabase } from '../helpers/postgres';
import { createUser } from '../factories/user.factory';

/**
 * A rotation and a login are each one write statement, so one commit (one fsync
 * under SQLite's synchronous=FULL; one implicit transaction on PostgreSQL): the
 * successor's INSERT marks the presented token rotated through the trigger of
 * migration 002; a login's INSERT into the view of migration 006 writes the
 * session and its first token. Counted from Sequelize's statement log, which
 * createTestContext does not expose, hence a database opened here.
 */
describe.each(DIALECTS)('rotation and login write once (%s)', (dialect) => {
  const statements: string[] = [];
  // Write statements on any connection, so a write inside a transaction counts too.
  const writes = () => statements.filter((sql) => /^Executing \([^)]+\): (INSERT|UPDATE|DELETE|WITH)/.test(sql));
  const config = () => loadConfig(postgres ? { ...TEST_ENV, DATABASE_URL: postgres.url } : TEST_ENV);
  let postgres: PostgresDatabase | null = null;
  let db: Database;
  beforeAll(async () => {
    postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    db = await openDatabase(config().database, { logging: (sql) => statements.push(sql) });
    await migrate(db.sequelize);
  });
  afterAll(async () => {
    await db.sequelize.close();
    await postgres?.drop();
  });

  it('inserts the successor and marks the parent rotated in one statement', async () => {
    const services = createServices({ config: config(), db });
    const { user } = await createUser(db);
    const first = await services.tokens.issueFor(user);
    statements.length = 0;
    const second = await services.tokens.refresh(first.refresh_token);

    expect(writes()).toHaveLength(1);
    const rows = await db.RefreshToken.findAll({ where: { userId: user.id }, order: [['createdAt', 'ASC']] });
    expect(rows).toHaveLength(2);
    expect(rows[0].rotatedAt?.getTime()).toBe(rows[1].createdAt.getTime());
    expect(rows[1]).toMatchObject({ parentId: rows[0].id, rotatedAt: null });
    expect(second.refresh_token).not.toBe(first.refresh_token);
  });

  it('inserts a login’s session and its first token in one statement', async () => {
    const services = createServices({ config: config(), db });
    const { user } = await createUser(db);
    statements.length = 0;
    const pair = await services.tokens.issueFor(user);

    expect(writes()).toHaveLength(1);
    const token = await db.RefreshToken.findOne({ where: { userId: user.id } });
    expect(token).toMatchObject({ parentId: null, rotatedAt: null });
    expect(await db.Session.findByPk(token!.chainId)).toMatchObject({ userId: user.id, sessionVersion: user.sessionVersion, revokedAt: null });
    expect((await services.tokens.refresh(pair.refresh_token)).refresh_token).toEqual(expect.any(String));
  });
});
