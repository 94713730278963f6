import { createCipheriv, createDecipheriv, createPrivateKey, hkdfSync, KeyObject, randomBytes } from 'node:crypto';

const FORMAT = 'v1';

/** KEY_ENCRYPTION_SECRET is a passphrase-like string; AES-256 wants 32 uniform bytes: HKDF gives them. */
const encryptionKey = (secret: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'signing-key-encryption', 32));

/** The stored private key does not decrypt: another KEY_ENCRYPTION_SECRET, or a row that was altered. */
export class KeyDecryptionFailed extends Error {
  constructor(readonly kid: string) {
    super(`signing key ${kid} cannot be decrypted: KEY_ENCRYPTION_SECRET is not the one it was encrypted with, or the row was altered`);
    this.name = 'KeyDecryptionFailed';
  }
}

/**
 * A private key as stored: PKCS #8 under AES-256-GCM, `v1.<iv>.<ciphertext>.<tag>`
 * in base64url. The key id is the additional authenticated data, so a ciphertext
 * moved onto another key's row does not decrypt there.
 */
export function encryptPrivateKey(privateKey: KeyObject, kid: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(secret), iv).setAAD(Buffer.from(kid));
  const plain = privateKey.export({ format: 'der', type: 'pkcs8' });
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  return [FORMAT, iv, sealed, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
}

export function decryptPrivateKey(stored: string, kid: string, secret: string): KeyObject {
  const [format, iv, sealed, tag] = stored.split('.');
  if (format !== FORMAT || !iv || !sealed || !tag) throw new KeyDecryptionFailed(kid);
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey(secret), Buffer.from(iv, 'base64url')).setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]);
    const key = createPrivateKey({ key: plain, format: 'der', type: 'pkcs8' });
    plain.fill(0);
    return key;
  } catch {
    throw new KeyDecryptionFailed(kid);
  }
}
