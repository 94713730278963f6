import { DataTypes, Model, ModelStatic, Optional, Sequelize } from 'sequelize';

/**
 * A login session: the refresh-token chain with the id `chainId`. `sessionVersion`
 * is the user's session version at login; the session is over once the user's
 * version moves on (password change, logout-all), once it is revoked, or once
 * SESSION_MAX_LIFETIME has passed since `createdAt`, whatever its rotations.
 */
export interface SessionAttributes {
  id: string;
  userId: string;
  sessionVersion: number;
  createdAt: Date;
  revokedAt: Date | null;
}

export type SessionCreation = Optional<SessionAttributes, 'revokedAt'>;
export interface SessionRow extends Model<SessionAttributes, SessionCreation>, SessionAttributes {}
export type SessionModel = ModelStatic<SessionRow>;

export function defineSessionModel(sequelize: Sequelize): SessionModel {
  return sequelize.define<SessionRow>(
    'Session',
    {
      id: { type: DataTypes.UUID, primaryKey: true },
      userId: { type: DataTypes.UUID, allowNull: false },
      sessionVersion: { type: DataTypes.INTEGER, allowNull: false },
      createdAt: { type: DataTypes.DATE, allowNull: false },
      revokedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { tableName: 'sessions', underscored: true, updatedAt: false },
  );
}
