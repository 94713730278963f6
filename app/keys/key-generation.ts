import { generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, JWK } from 'jose';
import type { AsymmetricAlgorithm } from '../../config/signing';

const generate = promisify(generateKeyPair);

export interface GeneratedKey {
  kid: string;
  alg: AsymmetricAlgorithm;
  /** The public key as the JWKS publishes it. */
  publicJwk: JWK;
  privateKey: KeyObject;
}

function keyPair(alg: AsymmetricAlgorithm) {
  switch (alg) {
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generate('ed25519');
    case 'RS256':
      return generate('rsa', { modulusLength: 2048 });
  }
}

/**
 * A new key pair for `alg`. Its id is the RFC 7638 thumbprint of the public key:
 * unique without coordination between instances, and checkable by anyone holding the key.
 */
export async function generateSigningKey(alg: AsymmetricAlgorithm): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await keyPair(alg);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { kid, alg, publicJwk: { ...jwk, kid, alg, use: 'sig', key_ops: ['verify'] }, privateKey };
}
