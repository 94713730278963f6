import { createSecretKey, KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { JwtAlgorithm } from '../../config/signing';

/** The key that signs new access tokens now; `kid` is absent for the HS256 secret. */
export interface TokenSigner {
  alg: JwtAlgorithm;
  kid?: string;
  key: KeyObject;
}

/** A key a token may be verified with, and the one algorithm it may be verified under. */
export interface VerificationKey {
  alg: JwtAlgorithm;
  key: KeyObject;
}

/** RFC 7517: the document at /.well-known/jwks.json. */
export interface JwkSet {
  keys: JWK[];
}

/**
 * The keys this process signs and verifies access tokens with. For HS256 that is
 * the one JWT_SECRET; for the asymmetric algorithms the `signing_keys` table, kept
 * in memory and reloaded when it changes (app/keys/database-key-ring.ts).
 */
export interface KeyRing {
  /** Resolves once the keys are in memory; sign() needs it. */
  ready(): Promise<void>;
  /** Reads the keys again now (they are also read on a timer and on notices). */
  reload(): Promise<void>;
  signer(): TokenSigner;
  /** The key for a token's protected header, or undefined: unknown `kid`, or an algorithm other than its key's. */
  verificationKey(header: { alg?: string; kid?: string }): Promise<VerificationKey | undefined>;
  /** The public keys other services verify with. */
  jwks(): JwkSet;
  /** Calls `listener` whenever keys stop being accepted (a revocation, an expired overlap), so caches of verified tokens can drop theirs. */
  onChange(listener: () => void): void;
  close(): void;
}

/** HS256: JWT_SECRET signs and verifies, and nothing is published (a secret cannot be). */
export function secretKeyRing(secret: string): KeyRing {
  // Once, not per call: jsonwebtoken and jose would otherwise re-derive a key from the string every time.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  const signer: TokenSigner = { alg: 'HS256', key };
  return {
    ready: async () => undefined,
    reload: async () => undefined,
    signer: () => signer,
    verificationKey: async ({ alg, kid }) => (alg === 'HS256' && kid === undefined ? signer : undefined),
    jwks: () => ({ keys: [] }),
    onChange: () => undefined,
    close: () => undefined,
  };
}
