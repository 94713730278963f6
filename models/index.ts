import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Sequelize } from 'sequelize';
import type { DatabaseTarget } from '../config/database-url';
import { defineNoteModel, NoteModel } from './note.model';
import { defineRefreshTokenModel, RefreshTokenModel } from './refresh-token.model';
import { defineSessionModel, SessionModel } from './session.model';
import { defineUserModel, UserModel } from './user.model';

export type { UserRow, UserModel } from './user.model';
export type { RefreshTokenRow, RefreshTokenModel } from './refresh-token.model';
export type { SessionRow, SessionModel } from './session.model';
export type { NoteRow, NoteModel } from './note.model';

export interface Database {
  sequelize: Sequelize;
  User: UserModel;
  RefreshToken: RefreshTokenModel;
  Session: SessionModel;
  Note: NoteModel;
}

export interface OpenDatabaseOptions {
  logging?: (sql: string) => void;
}

/**
 * When PostgreSQL is down or unreachable, a request must fail fast (a 503 the
 * client can retry) rather than hang: a connection attempt gives up after
 * `connectMs`, waiting for a pooled connection after `acquireMs`, and a query whose
 * answer never comes (a network partition: nothing refused, nothing answered)
 * after `queryMs`; a timed-out connection is thrown away, not reused. Migrations
 * run on a connection of their own with a longer limit (models/migrate.ts).
 */
export const POSTGRES_TIMEOUTS = { connectMs: 2_000, acquireMs: 4_000, queryMs: 5_000 } as const;

/**
 * Opens the database and defines the models on it (each call gets its own model
 * classes, so tests can hold several databases). SQLite files get WAL, a busy
 * timeout and synchronous=FULL: a 2xx is only sent once the write is on disk.
 *
 * SQLite: all requests share Sequelize's one default connection, where writes
 * queue instead of colliding, so SQLITE_BUSY cannot happen inside the process.
 * Keep it that way and use no transactions on request paths: Sequelize's sqlite
 * dialect opens a separate connection per transaction, which then competes for
 * the write lock. Tried under test/security/faults/sqlite.test.ts: a
 * read-then-write transaction per registration fails with SQLITE_BUSY at once,
 * and even IMMEDIATE transactions with a busy timeout on every connection stall
 * the libuv pool until requests time out. (The seeder's findOrCreate runs a
 * transaction, but only at boot, before the server listens.)
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
      pool: { max: 10, min: 0, acquire: POSTGRES_TIMEOUTS.acquireMs, idle: 10_000 },
      dialectOptions: {
        connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
        query_timeout: POSTGRES_TIMEOUTS.queryMs,
        keepAlive: true,
      },
    });
  }

  const User = defineUserModel(sequelize);
  const RefreshToken = defineRefreshTokenModel(sequelize);
  const Session = defineSessionModel(sequelize);
  User.hasMany(RefreshToken, { foreignKey: 'userId', onDelete: 'CASCADE' });
  RefreshToken.belongsTo(User, { foreignKey: 'userId' });
  User.hasMany(Session, { foreignKey: 'userId', onDelete: 'CASCADE' });
  Session.belongsTo(User, { foreignKey: 'userId' });
  const Note = defineNoteModel(sequelize);
  User.hasMany(Note, { foreignKey: 'userId', onDelete: 'CASCADE' });
  Note.belongsTo(User, { foreignKey: 'userId' });

  await sequelize.authenticate();
  if (target.dialect === 'sqlite' && target.storage !== ':memory:') {
    await sequelize.query('PRAGMA journal_mode = WAL');
    await sequelize.query('PRAGMA synchronous = FULL');
    await sequelize.query('PRAGMA busy_timeout = 5000');
  }
  return { sequelize, User, RefreshToken, Session, Note };
}
