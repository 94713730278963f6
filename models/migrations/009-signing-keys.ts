import { DataTypes, QueryInterface } from 'sequelize';

export const name = '009-signing-keys';

/**
 * The asymmetric keys access tokens are signed with (JWT_ALGORITHM other than
 * HS256), shared by every instance. `state` is next, current, previous or revoked
 * (app/services/signing-key.service.ts); partial unique indexes make a second
 * `current` or `next` impossible, whatever several instances or CLIs do at once.
 * The private key is stored only encrypted (app/keys/key-encryption.ts).
 *
 * On PostgreSQL every change notifies `auth_signing_keys`, so running instances
 * reload their keys at once (app/invalidation/postgres-channel.ts); elsewhere they
 * reload on a timer.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('signing_keys', {
    kid: { type: DataTypes.STRING(64), primaryKey: true },
    alg: { type: DataTypes.STRING(8), allowNull: false },
    state: { type: DataTypes.STRING(8), allowNull: false },
    public_jwk: { type: DataTypes.TEXT, allowNull: false },
    private_key: { type: DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    activated_at: { type: DataTypes.DATE, allowNull: true },
    retired_at: { type: DataTypes.DATE, allowNull: true },
    revoked_at: { type: DataTypes.DATE, allowNull: true },
  });
  await qi.sequelize.query(`CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current'`);
  await qi.sequelize.query(`CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next'`);
  if (qi.sequelize.getDialect() !== 'postgres') return;
  await qi.sequelize.query(
    `CREATE FUNCTION notify_signing_keys() RETURNS trigger AS $$
     BEGIN PERFORM pg_notify('auth_signing_keys', ''); RETURN NULL; END $$ LANGUAGE plpgsql`,
  );
  await qi.sequelize.query('CREATE TRIGGER signing_keys_changed AFTER INSERT OR UPDATE OR DELETE ON signing_keys FOR EACH STATEMENT EXECUTE FUNCTION notify_signing_keys()');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  if (qi.sequelize.getDialect() === 'postgres') {
    await qi.sequelize.query('DROP TRIGGER signing_keys_changed ON signing_keys');
    await qi.sequelize.query('DROP FUNCTION notify_signing_keys()');
  }
  await qi.dropTable('signing_keys');
}
