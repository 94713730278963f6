import { QueryTypes } from 'sequelize';
import type { Database } from '../../../models';

/** Every stored column of one user and of their refresh tokens, straight from SQL (no model hooks or toJSON). */
export async function snapshotUser(db: Database, userId: string): Promise<{ user: unknown[]; tokens: unknown[] }> {
  const user = await db.sequelize.query('SELECT * FROM users WHERE id = :userId', { replacements: { userId }, type: QueryTypes.SELECT });
  const tokens = await db.sequelize.query('SELECT * FROM refresh_tokens WHERE user_id = :userId ORDER BY id', {
    replacements: { userId },
    type: QueryTypes.SELECT,
  });
  return { user, tokens };
}

/** Every value in every column of every row of every table, as text. */
export async function everyStoredValue(db: Database): Promise<string[]> {
  const tables = await db.sequelize.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'", { type: QueryTypes.SELECT });
  const values: string[] = [];
  for (const { name } of tables) {
    const rows = await db.sequelize.query<Record<string, unknown>>(`SELECT * FROM "${name}"`, { type: QueryTypes.SELECT });
    for (const row of rows) for (const value of Object.values(row)) if (value !== null) values.push(String(value));
  }
  return values;
}

export async function countRows(db: Database, table: 'users' | 'refresh_tokens'): Promise<number> {
  const [{ n }] = await db.sequelize.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`, { type: QueryTypes.SELECT });
  return Number(n);
}
