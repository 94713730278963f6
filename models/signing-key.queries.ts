import { QueryTypes, Sequelize } from 'sequelize';
import type { KeyState } from '../app/keys/key-states';

/** A row of `signing_keys` (migration 009); the private key as stored, encrypted. */
export interface SigningKeyRow {
  kid: string;
  alg: string;
  state: KeyState;
  publicJwk: string;
  encryptedPrivateKey: string;
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  revokedAt: Date | null;
}

// SQLite hands raw dates back as text ("2026-11-29 23:45:00.123 +00:00"), PostgreSQL as Date.
const asDate = (value: Date | string | null): Date | null => (value === null ? null : value instanceof Date ? value : new Date(value));

/**
 * The queries take the Sequelize instance to run on: the app's own, or the one
 * connection of a locked run (models/exclusive.ts) when they change the keys.
 */
export async function readSigningKeys(sequelize: Sequelize): Promise<SigningKeyRow[]> {
  const rows = await sequelize.query<Record<string, string | Date | null>>(
    `SELECT kid, alg, state, public_jwk AS "publicJwk", private_key AS "encryptedPrivateKey", created_at AS "createdAt",
            activated_at AS "activatedAt", retired_at AS "retiredAt", revoked_at AS "revokedAt"
       FROM signing_keys ORDER BY created_at, kid`,
    { type: QueryTypes.SELECT },
  );
  return rows.map((row) => ({
    ...(row as unknown as SigningKeyRow),
    createdAt: asDate(row.createdAt)!,
    activatedAt: asDate(row.activatedAt),
    retiredAt: asDate(row.retiredAt),
    revokedAt: asDate(row.revokedAt),
  }));
}

export async function insertSigningKey(sequelize: Sequelize, key: Pick<SigningKeyRow, 'kid' | 'alg' | 'state' | 'publicJwk' | 'encryptedPrivateKey' | 'createdAt' | 'activatedAt'>): Promise<void> {
  await sequelize.query(
    `INSERT INTO signing_keys (kid, alg, state, public_jwk, private_key, created_at, activated_at)
     VALUES (:kid, :alg, :state, :publicJwk, :encryptedPrivateKey, :createdAt, :activatedAt)`,
    { replacements: key, type: QueryTypes.INSERT },
  );
}

const STAMP: Record<KeyState, string> = { next: 'created_at', current: 'activated_at', previous: 'retired_at', revoked: 'revoked_at' };

/** Moves a key from `from` to `to`, stamping the moment in the column `to` is named by. False when it was not in `from`. */
export async function moveSigningKey(sequelize: Sequelize, kid: string, from: KeyState, to: Exclude<KeyState, 'next'>, at: Date): Promise<boolean> {
  const [, affected] = await sequelize.query(`UPDATE signing_keys SET state = :to, ${STAMP[to]} = :at WHERE kid = :kid AND state = :from`, {
    replacements: { kid, from, to, at },
    type: QueryTypes.UPDATE,
  });
  return Number(affected) === 1;
}

export async function deleteSigningKeys(sequelize: Sequelize, kids: string[]): Promise<void> {
  if (kids.length > 0) await sequelize.query('DELETE FROM signing_keys WHERE kid IN (:kids)', { replacements: { kids }, type: QueryTypes.DELETE });
}
