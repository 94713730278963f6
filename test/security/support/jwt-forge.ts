import { createHmac, createPrivateKey, generateKeyPairSync, KeyObject, sign as cryptoSign } from 'node:crypto';

/**
 * Builds JWTs by hand, byte for byte, so a test can forge what no well-behaved
 * library would sign: any header, any payload, any algorithm, any key, or no
 * signature at all. Nothing here goes through jsonwebtoken, so a bug there
 * cannot hide a bug in the server.
 */
export const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');
export const encodeJson = (value: unknown): string => b64url(JSON.stringify(value));

export type Signer = (signingInput: string) => Buffer;

/** HMAC with any secret (the server's, or a public key's PEM text for the HS/RS confusion class). */
export const hmac = (hash: 'sha256' | 'sha384' | 'sha512', secret: string | Buffer): Signer => (input) =>
  createHmac(hash, secret).update(input).digest();

/** RS256 / ES256 / PS256 with a key the attacker generated. */
export const asymmetric = (key: KeyObject, options: { dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number } = {}): Signer => (input) =>
  cryptoSign('sha256', Buffer.from(input), { key, ...options });

export const noSignature: Signer = () => Buffer.alloc(0);

export function forge(header: Record<string, unknown>, payload: Record<string, unknown>, signer: Signer): string {
  const input = `${encodeJson(header)}.${encodeJson(payload)}`;
  return `${input}.${b64url(signer(input))}`;
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** An attacker's own key pairs, made once per test file. */
export function attackerKeys() {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    rsa,
    ec,
    rsaPublicPem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    rsaPublicJwk: rsa.publicKey.export({ format: 'jwk' }),
    rsaPrivate: createPrivateKey(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' })),
  };
}
