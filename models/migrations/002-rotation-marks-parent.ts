import type { QueryInterface } from 'sequelize';

export const name = '002-rotation-marks-parent';

/**
 * When a successor token is inserted, its parent is marked rotated by the same
 * statement (a trigger), so a rotation is one statement, one commit, and under
 * SQLite's synchronous=FULL one fsync instead of two (models/refresh-token.queries.ts).
 * The two dialects spell a trigger differently; what it does is the same.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const mark = 'UPDATE refresh_tokens SET rotated_at = NEW.created_at WHERE id = NEW.parent_id AND rotated_at IS NULL';
  if (qi.sequelize.getDialect() === 'postgres') {
    await qi.sequelize.query(
      `CREATE FUNCTION refresh_tokens_mark_parent_rotated() RETURNS trigger AS $$ BEGIN ${mark}; RETURN NULL; END $$ LANGUAGE plpgsql`,
    );
    await qi.sequelize.query(
      `CREATE TRIGGER refresh_tokens_mark_parent_rotated AFTER INSERT ON refresh_tokens
        FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION refresh_tokens_mark_parent_rotated()`,
    );
  } else {
    await qi.sequelize.query(
      `CREATE TRIGGER refresh_tokens_mark_parent_rotated AFTER INSERT ON refresh_tokens
        WHEN NEW.parent_id IS NOT NULL BEGIN ${mark}; END`,
    );
  }
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  const postgres = qi.sequelize.getDialect() === 'postgres';
  await qi.sequelize.query(`DROP TRIGGER IF EXISTS refresh_tokens_mark_parent_rotated${postgres ? ' ON refresh_tokens' : ''}`);
  if (postgres) await qi.sequelize.query('DROP FUNCTION IF EXISTS refresh_tokens_mark_parent_rotated()');
}
