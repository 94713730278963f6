import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import type { DatabaseTarget } from '../config/database-url';
import { defineRefreshTokenModel, RefreshTokenModel } from './refresh-token.model';
import { defineUserModel, UserModel } from './user.model';

export type { UserRow, UserModel } from './user.model';
export type { RefreshTokenRow, RefreshTokenModel } from './refresh-token.model';

export interface Database {
  sequelize: Sequelize;
  User: UserModel;
  RefreshToken: RefreshTokenModel;
}

export interface OpenDatabaseOptions {
  logging?: (sql: string) => void;
}

/**
 * Opens the database and defines the models on it (each call gets its own model
 * classes, so tests can hold several databases). SQLite files get WAL, a busy
 * timeout and synchronous=FULL: a 2xx is only sent once the write is on disk.
 */
export async function openDatabase(target: DatabaseTarget, options: OpenDatabaseOptions = {}): Promise<Database> {
  const logging = options.logging ?? false;
  let sequelize: Sequelize;
  if (target.dialect === 'sqlite') {
    if (target.storage !== ':memory:') mkdirSync(path.dirname(path.resolve(target.storage)), { recursive: true });
    sequelize = new Sequelize({ dialect: 'sqlite', storage: target.storage, logging });
  } else {
    sequelize = new Sequelize(target.url, {
      dialect: 'postgres',
      logging,
      pool: { max: 10, min: 0, acquire: 10_000, idle: 10_000 },
    });
  }

  const User = defineUserModel(sequelize);
  const RefreshToken = defineRefreshTokenModel(sequelize);
  User.hasMany(RefreshToken, { foreignKey: 'userId', onDelete: 'CASCADE' });
  RefreshToken.belongsTo(User, { foreignKey: 'userId' });

  await sequelize.authenticate();
  if (target.dialect === 'sqlite' && target.storage !== ':memory:') {
    await sequelize.query('PRAGMA journal_mode = WAL');
    await sequelize.query('PRAGMA synchronous = FULL');
    await sequelize.query('PRAGMA busy_timeout = 5000');
  }
  return { sequelize, User, RefreshToken };
}
