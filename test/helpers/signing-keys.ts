import { createPublicKey } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { decryptPrivateKey } from '../../app/keys/key-encryption';
import type { KeyState } from '../../app/keys/key-states';
import type { Database } from '../../models';

/** A row of `signing_keys` as stored (migration 009), the private key still encrypted. */
export interface StoredKey {
  kid: string;
  alg: string;
  state: KeyState;
  publicJwk: string;
  privateKey: string;
  retiredAt: string | Date | null;
}

/** Every row, oldest first, read with SQL (not through the code under test). */
export function storedKeys(db: Database): Promise<StoredKey[]> {
  return db.sequelize.query<StoredKey>(
    `SELECT kid, alg, state, public_jwk AS "publicJwk", private_key AS "privateKey", retired_at AS "retiredAt"
       FROM signing_keys ORDER BY created_at, kid`,
    { type: QueryTypes.SELECT },
  );
}

/** kid -> state, the shape most assertions compare. */
export const statesOf = (keys: StoredKey[]): Record<string, KeyState> => Object.fromEntries(keys.map((key) => [key.kid, key.state]));

export const kidsIn = (keys: StoredKey[], state: KeyState): string[] => keys.filter((key) => key.state === state).map((key) => key.kid);

/**
 * Every spelling of a stored key's private half that could leak: PKCS #8 PEM
 * body, DER in base64 and base64url, the JWK's private members (`d`, and RSA's
 * `p`, `q`, `dp`, `dq`, `qi`). Decrypted with `secret`, which must be the right one.
 */
export function privateMaterial(key: StoredKey, secret: string): string[] {
  const privateKey = decryptPrivateKey(key.privateKey, key.kid, secret);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const pem = String(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  const members = ['d', 'p', 'q', 'dp', 'dq', 'qi'].flatMap((name) => (jwk[name] ? [jwk[name]] : []));
  const pemBody = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  return [der.toString('base64'), der.toString('base64url'), ...pemBody, ...members];
}

/** Whether the stored private key, decrypted with `secret`, is the private half of the row's public key. */
export function privateKeyMatchesPublic(key: StoredKey, secret: string): boolean {
  const fromPrivate = createPublicKey(decryptPrivateKey(key.privateKey, key.kid, secret)).export({ format: 'jwk' });
  const published = JSON.parse(key.publicJwk) as Record<string, string>;
  return Object.entries(fromPrivate).every(([name, value]) => published[name] === value);
}
