import { DataTypes, QueryInterface } from 'sequelize';

export const name = '005-notes';

/**
 * Notes, each owned by a user and deleted with them. The index (user_id,
 * created_at, id) is the order of GET /notes: the owner's notes newest first,
 * ties broken by id, so a page is one range read from a cursor, without a sort.
 */
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.createTable('notes', {
    id: { type: DataTypes.UUID, primaryKey: true, allowNull: false },
    user_id: {
      type: DataTypes.UUID,
      allowNull: false,
      references: { model: 'users', key: 'id' },
      onDelete: 'CASCADE',
    },
    title: { type: DataTypes.STRING(200), allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('notes', ['user_id', 'created_at', 'id'], { name: 'notes_user_id_created_at_id' });
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.dropTable('notes');
}
