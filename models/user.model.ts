import { DataTypes, Model, ModelStatic, Optional, Sequelize } from 'sequelize';

/**
 * A user. `usernameKey` is the lower-cased username that carries the unique index,
 * so "Alice" and "alice" cannot both exist. `sessionVersion` goes up on password
 * change and logout-all; access tokens carry it and are refused once it moves on.
 */
export interface UserAttributes {
  id: string;
  username: string;
  usernameKey: string;
  email: string | null;
  passwordHash: string;
  sessionVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export type UserCreation = Optional<UserAttributes, 'id' | 'email' | 'sessionVersion' | 'createdAt' | 'updatedAt'>;
export interface UserRow extends Model<UserAttributes, UserCreation>, UserAttributes {}
export type UserModel = ModelStatic<UserRow>;

export function defineUserModel(sequelize: Sequelize): UserModel {
  const User = sequelize.define<UserRow>(
    'User',
    {
      id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
      username: { type: DataTypes.STRING(32), allowNull: false },
      usernameKey: { type: DataTypes.STRING(32), allowNull: false, unique: true },
      email: { type: DataTypes.STRING(254), allowNull: true },
      passwordHash: { type: DataTypes.STRING(255), allowNull: false },
      sessionVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      createdAt: { type: DataTypes.DATE, allowNull: false },
      updatedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'users', underscored: true },
  );
  // Never let a hash reach a response or a log line by accident.
  User.prototype.toJSON = function toJSON(this: UserRow) {
    const { passwordHash: _hash, ...rest } = this.get({ plain: true });
    return rest;
  };
  return User;
}
