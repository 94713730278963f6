import { DataTypes, Model, ModelStatic, Optional, Sequelize } from 'sequelize';

/**
 * A user. `usernameKey` is the lower-cased username that carries the unique index,
 * so "Alice" and "alice" cannot both exist. `sessionVersion` goes up on password
 * change, logout-all and disable; access tokens carry it and are refused once it moves on.
 */
export interface UserAttributes {
  id: string;
  username: string;
  usernameKey: string;
  email: string | null;
  /** The lower-cased email, which carries the unique index (app/services/user.service.ts emailKey). */
  emailKey: string | null;
  /** When the owner of `email` followed a verification link; null until then, and again after a change of address. */
  emailVerifiedAt: Date | null;
  passwordHash: string;
  sessionVersion: number;
  /** `user` or `admin` (app/auth/permissions.ts). */
  role: string;
  /** When the account was disabled; null while it is enabled. */
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type UserCreation = Optional<UserAttributes, 'id' | 'email' | 'emailKey' | 'emailVerifiedAt' | 'sessionVersion' | 'role' | 'disabledAt' | 'createdAt' | 'updatedAt'>;
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
      emailKey: { type: DataTypes.STRING(254), allowNull: true },
      emailVerifiedAt: { type: DataTypes.DATE, allowNull: true },
      passwordHash: { type: DataTypes.STRING(255), allowNull: false },
      sessionVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'user' },
      disabledAt: { type: DataTypes.DATE, allowNull: true },
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
