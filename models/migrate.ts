import { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import * as createUsersAndRefreshTokens from './migrations/001-create-users-and-refresh-tokens';
import * as rotationMarksParent from './migrations/002-rotation-marks-parent';
import * as sessions from './migrations/003-sessions';

// Listed explicitly rather than globbed, so the same list runs from TypeScript and from dist/.
const MIGRATIONS = [createUsersAndRefreshTokens, rotationMarksParent, sessions];

/** Applies every pending migration; safe to call on each start. */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  const umzug = new Umzug({
    migrations: MIGRATIONS.map((m) => ({ name: m.name, up: m.up, down: m.down })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'sequelize_meta' }),
    logger: undefined,
  });
  const applied = await umzug.up();
  return applied.map((m) => m.name);
}
