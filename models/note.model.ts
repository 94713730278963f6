import { DataTypes, Model, ModelStatic, Optional, Sequelize } from 'sequelize';

/**
 * A note, owned by one user (`userId`; deleted with the user). Timestamps are
 * set by the service from the injected clock, not by Sequelize, so tests can
 * move time (and make notes at the very same instant).
 */
export interface NoteAttributes {
  id: string;
  userId: string;
  title: string;
  body: string;
  createdAt: Date;
  updatedAt: Date;
}

export type NoteCreation = Optional<NoteAttributes, 'id'>;
export interface NoteRow extends Model<NoteAttributes, NoteCreation>, NoteAttributes {}
export type NoteModel = ModelStatic<NoteRow>;

export function defineNoteModel(sequelize: Sequelize): NoteModel {
  return sequelize.define<NoteRow>(
    'Note',
    {
      id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
      userId: { type: DataTypes.UUID, allowNull: false },
      title: { type: DataTypes.STRING(200), allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      createdAt: { type: DataTypes.DATE, allowNull: false },
      updatedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'notes', underscored: true, timestamps: false },
  );
}
