import { DataTypes, QueryInterface } from 'sequelize';

export const name = '010-mail-and-account-tokens';

/**
 * Verified email addresses and mail that is never lost.
 *
 * users: `email_key`, the lower-cased address, carries the unique index (addresses
 * are stored as given and compared lower-cased); `email_verified_at` is set when the
 * address's owner followed a verification link.
 *
 * mail_outbox: every mail the server sends, written before it is sent and sent by
 * one sender at a time (a row is claimed before sending: app/mail/outbox-sender.ts).
 * A mail that carries a link also carries, in the same row, the hash of the
 * link's token, its purpose, user and expiry: the token and the mail that delivers
 * it are one INSERT, atomic on SQLite too, where request paths take no
 * transactions (models/index.ts). Once sent, the bodies (the only place the raw
 * token ever was) are cleared; the hash stays until the token is used or expires.
 * `id` counts up, so "older than this request" is a comparison.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('users', 'email_key', { type: DataTypes.STRING(254), allowNull: true });
  await qi.addColumn('users', 'email_verified_at', { type: DataTypes.DATE, allowNull: true });
  // The key folds ASCII letters only (app/services/user.service.ts emailKey): SQLite's lower() does just that;
  // PostgreSQL's would fold every letter, so it gets the ASCII mapping spelled out.
  const asciiLower = qi.sequelize.getDialect() === 'postgres' ? "translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')" : 'lower(email)';
  await qi.sequelize.query(`UPDATE users SET email_key = ${asciiLower} WHERE email IS NOT NULL`);
  await qi.sequelize.query('CREATE UNIQUE INDEX users_email_key ON users (email_key) WHERE email_key IS NOT NULL');

  await qi.createTable('mail_outbox', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
    recipient: { type: DataTypes.STRING(254), allowNull: false },
    subject: { type: DataTypes.STRING(200), allowNull: false },
    text_body: { type: DataTypes.TEXT, allowNull: true },
    html_body: { type: DataTypes.TEXT, allowNull: true },
    state: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'pending' },
    attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    next_attempt_at: { type: DataTypes.DATE, allowNull: false },
    claimed_until: { type: DataTypes.DATE, allowNull: true },
    sent_at: { type: DataTypes.DATE, allowNull: true },
    last_error: { type: DataTypes.STRING(500), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    token_hash: { type: DataTypes.STRING(64), allowNull: true, unique: true },
    purpose: { type: DataTypes.STRING(20), allowNull: true },
    user_id: { type: DataTypes.UUID, allowNull: true, references: { model: 'users', key: 'id' }, onDelete: 'CASCADE' },
    email: { type: DataTypes.STRING(254), allowNull: true },
    expires_at: { type: DataTypes.DATE, allowNull: true },
    used_at: { type: DataTypes.DATE, allowNull: true },
    revoked_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.sequelize.query("CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE state = 'pending'");
  await qi.sequelize.query('CREATE INDEX mail_outbox_live_tokens ON mail_outbox (user_id, purpose) WHERE token_hash IS NOT NULL AND used_at IS NULL AND revoked_at IS NULL');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('mail_outbox');
  await qi.sequelize.query('DROP INDEX users_email_key');
  await qi.removeColumn('users', 'email_verified_at');
  await qi.removeColumn('users', 'email_key');
}
