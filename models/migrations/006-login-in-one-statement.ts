import type { QueryInterface } from 'sequelize';

export const name = '006-login-in-one-statement';

/**
 * A login writes a session row and its first refresh token. Inserted into this
 * view, both go in with one statement, so one commit: under SQLite's
 * synchronous=FULL one fsync instead of two, as migration 002 does for rotation
 * (models/refresh-token.queries.ts). The two dialects spell an INSTEAD OF trigger
 * differently; what it does is the same.
 */
const COLUMNS = `s.id AS session_id, s.user_id, s.session_version, t.id AS token_id, t.token_hash, t.expires_at, s.created_at
  FROM sessions s JOIN refresh_tokens t ON t.chain_id = s.id AND t.parent_id IS NULL`;
const INSERTS = `INSERT INTO sessions (id, user_id, session_version, created_at)
    VALUES (NEW.session_id, NEW.user_id, NEW.session_version, NEW.created_at);
  INSERT INTO refresh_tokens (id, user_id, chain_id, parent_id, token_hash, expires_at, created_at)
    VALUES (NEW.token_id, NEW.user_id, NEW.session_id, NULL, NEW.token_hash, NEW.expires_at, NEW.created_at);`;

export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query(`CREATE VIEW session_logins AS SELECT ${COLUMNS}`);
  if (qi.sequelize.getDialect() === 'postgres') {
    await qi.sequelize.query(`CREATE FUNCTION session_logins_insert() RETURNS trigger AS $$ BEGIN ${INSERTS} RETURN NEW; END $$ LANGUAGE plpgsql`);
    await qi.sequelize.query('CREATE TRIGGER session_logins_insert INSTEAD OF INSERT ON session_logins FOR EACH ROW EXECUTE FUNCTION session_logins_insert()');
  } else {
    await qi.sequelize.query(`CREATE TRIGGER session_logins_insert INSTEAD OF INSERT ON session_logins BEGIN ${INSERTS} END`);
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  const postgres = qi.sequelize.getDialect() === 'postgres';
  await qi.sequelize.query('DROP VIEW IF EXISTS session_logins');
  if (postgres) await qi.sequelize.query('DROP FUNCTION IF EXISTS session_logins_insert()');
}
