import { DataTypes, Model, ModelStatic, Optional, Sequelize } from 'sequelize';

/**
 * One refresh token of a login session. Only a SHA-256 of the token is stored.
 * Tokens of one login form a chain (`chainId`, the id of its session row); rotation
 * marks the presented token `rotatedAt` and inserts its successor. Revocation,
 * whatever its cause, is the session's (models/session.model.ts).
 */
export interface RefreshTokenAttributes {
  id: string;
  userId: string;
  chainId: string;
  parentId: string | null;
  tokenHash: string;
  expiresAt: Date;
  rotatedAt: Date | null;
  createdAt: Date;
}

export type RefreshTokenCreation = Optional<RefreshTokenAttributes, 'id' | 'parentId' | 'rotatedAt' | 'createdAt'>;
export interface RefreshTokenRow extends Model<RefreshTokenAttributes, RefreshTokenCreation>, RefreshTokenAttributes {}
export type RefreshTokenModel = ModelStatic<RefreshTokenRow>;

export function defineRefreshTokenModel(sequelize: Sequelize): RefreshTokenModel {
  const RefreshToken = sequelize.define<RefreshTokenRow>(
    'RefreshToken',
    {
      id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
      userId: { type: DataTypes.UUID, allowNull: false },
      chainId: { type: DataTypes.UUID, allowNull: false },
      parentId: { type: DataTypes.UUID, allowNull: true },
      tokenHash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
      rotatedAt: { type: DataTypes.DATE, allowNull: true },
      createdAt: { type: DataTypes.DATE, allowNull: false },
    },
    { tableName: 'refresh_tokens', underscored: true, updatedAt: false },
  );
  RefreshToken.prototype.toJSON = function toJSON(this: RefreshTokenRow) {
    const { tokenHash: _hash, ...rest } = this.get({ plain: true });
    return rest;
  };
  return RefreshToken;
}
