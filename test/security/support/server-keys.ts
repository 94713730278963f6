import { createPublicKey, KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { decryptPrivateKey } from '../../../app/keys/key-encryption';
import type { Config } from '../../../config';
import type { Database } from '../../../models';
import { readSigningKeys } from '../../../models/signing-key.queries';

export interface ServerKey {
  kid: string;
  alg: string;
  state: string;
  publicJwk: JWK;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/**
 * The server's own signing keys, private halves decrypted as the server does: a
 * forged token signed with the real key and differing in one respect only proves
 * the check of that respect, not a bad signature.
 */
export async function serverKeys(db: Database, config: Readonly<Config>): Promise<Record<'current' | 'next', ServerKey> & { all: ServerKey[] }> {
  const all = (await readSigningKeys(db.sequelize)).map((row) => {
    const publicJwk = JSON.parse(row.publicJwk) as JWK;
    return {
      kid: row.kid,
      alg: row.alg,
      state: row.state,
      publicJwk,
      publicKey: createPublicKey({ key: publicJwk as never, format: 'jwk' }),
      privateKey: decryptPrivateKey(row.encryptedPrivateKey, row.kid, config.signingKeys.encryptionSecret),
    };
  });
  const find = (state: string) => all.find((key) => key.state === state)!;
  return { current: find('current'), next: find('next'), all };
}
