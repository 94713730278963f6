import { DataTypes, QueryInterface } from 'sequelize';

export const name = '003-sessions';

/**
 * One row per login session (a refresh-token chain: `sessions.id` is the tokens'
 * `chain_id`). Rotation and revocation meet on this row, so neither can miss the
 * other (models/refresh-token.queries.ts); it carries what holds for the whole
 * session: the user's session version at login, the login time (for
 * SESSION_MAX_LIFETIME) and the revocation. A chain revoked before this migration
 * becomes a revoked session, and `refresh_tokens.revoked_at` goes: a token is
 * revoked only through its session. (ALTER TABLE … DROP COLUMN on both dialects:
 * Sequelize's removeColumn rebuilds a SQLite table, which would drop migration 002's trigger.)
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('sessions', {
    id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
    user_id: {
      type: DataTypes.UUID,
      allowNull: false,
      references: { model: 'users', key: 'id' },
      onDelete: 'CASCADE',
    },
    session_version: { type: DataTypes.INTEGER, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    revoked_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.addIndex('sessions', ['user_id']);
  await qi.sequelize.query(
    `INSERT INTO sessions (id, user_id, session_version, created_at, revoked_at)
      SELECT t.chain_id, t.user_id, u.session_version, MIN(t.created_at), MAX(t.revoked_at)
      FROM refresh_tokens t JOIN users u ON u.id = t.user_id
      GROUP BY t.chain_id, t.user_id, u.session_version`,
  );
  await qi.sequelize.query('ALTER TABLE refresh_tokens DROP COLUMN revoked_at');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('refresh_tokens', 'revoked_at', { type: DataTypes.DATE, allowNull: true });
  await qi.sequelize.query('UPDATE refresh_tokens SET revoked_at = (SELECT revoked_at FROM sessions WHERE sessions.id = refresh_tokens.chain_id)');
  await qi.dropTable('sessions');
}
