import type { NodeEnv } from '.';

export const JWT_ALGORITHMS = ['HS256', 'ES256', 'EdDSA', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

export const isAsymmetric = (algorithm: JwtAlgorithm): algorithm is AsymmetricAlgorithm => algorithm !== 'HS256';

/**
 * Outside production, signing keys are encrypted under this fixed, public value
 * when KEY_ENCRYPTION_SECRET is unset: a development database's keys then survive
 * restarts (a secret generated per process would make them unreadable). It
 * protects nothing, which is why production refuses to start without a real one.
 */
export const DEVELOPMENT_KEY_ENCRYPTION_SECRET = 'development-only-key-encryption-secret-not-secret';

export interface SigningConfig {
  algorithm: JwtAlgorithm;
  /** AES-256-GCM protects the private keys at rest under a key derived from this (app/keys/key-encryption.ts). */
  keyEncryptionSecret: string;
  /** How long verifiers may cache the JWKS (seconds): Cache-Control of /.well-known/jwks.json, and how long a `next` key waits before `rotate`. */
  jwksMaxAge: number;
}

/** JWT_ALGORITHM and KEY_ENCRYPTION_SECRET; JWKS_MAX_AGE is read with the other durations. */
export function parseSigning(read: (key: string) => string | undefined, nodeEnv: NodeEnv, problems: string[]): Omit<SigningConfig, 'jwksMaxAge'> {
  const raw = read('JWT_ALGORITHM') ?? 'HS256';
  const algorithm = JWT_ALGORITHMS.find((name) => name.toLowerCase() === raw.toLowerCase());
  if (!algorithm) problems.push(`JWT_ALGORITHM must be one of ${JWT_ALGORITHMS.join(', ')} (got "${raw}")`);
  const secret = read('KEY_ENCRYPTION_SECRET');
  if (secret !== undefined && Buffer.byteLength(secret) < 32) {
    problems.push('KEY_ENCRYPTION_SECRET must be at least 32 bytes long');
  } else if (secret === undefined && nodeEnv === 'production' && algorithm && isAsymmetric(algorithm)) {
    problems.push(`KEY_ENCRYPTION_SECRET must be set to at least 32 bytes in production with JWT_ALGORITHM=${algorithm}`);
  }
  return { algorithm: algorithm ?? 'HS256', keyEncryptionSecret: secret ?? DEVELOPMENT_KEY_ENCRYPTION_SECRET };
}
