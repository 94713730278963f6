import { DataTypes, QueryInterface } from 'sequelize';

export const name = '004-roles';

/**
 * A user's role (app/auth/permissions.ts maps roles to permissions) and whether the
 * account is disabled. Existing users become `user`, enabled.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.addColumn('users', 'role', { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'user' });
  await qi.addColumn('users', 'disabled_at', { type: DataTypes.DATE, allowNull: true });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('ALTER TABLE users DROP COLUMN disabled_at');
  await qi.sequelize.query('ALTER TABLE users DROP COLUMN role');
}
