import argon2 from 'argon2';
import type { Argon2Params } from '../../config';

export interface PasswordService {
  hash(password: string): Promise<string>;
  /** Verifies; an unknown user is verified against a dummy hash so both cost the same. */
  verify(hash: string | null, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
}

/**
 * argon2id with the configured cost. argon2 runs on libuv's thread pool, so a
 * hash never blocks the event loop. Timing: a login for a missing user still pays
 * for one full verification against a hash made with the same parameters.
 */
export function createPasswordService(params: Argon2Params): PasswordService {
  const options = { type: argon2.argon2id, ...params } as const;
  let dummyHash: Promise<string> | undefined;

  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      if (hash === null) {
        dummyHash ??= argon2.hash('not-a-real-password-just-for-timing', options);
        await argon2.verify(await dummyHash, password);
        return false;
      }
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false; // a malformed stored hash must not become a 500 or a login
      }
    },
    needsRehash: (hash) => isWeakerThan(hash, params),
  };
}

/**
 * True when a stored hash is weaker than the configured parameters: another
 * argon2 variant or version, or a lower memory, time or parallelism cost. Unlike
 * argon2.needsRehash (any difference), a hash that is already stronger is kept, so
 * an app still running an older, cheaper configuration never downgrades it.
 */
function isWeakerThan(hash: string, params: Argon2Params): boolean {
  const match = /^\$argon2id\$v=(\d+)\$([^$]+)\$/.exec(hash);
  if (!match || Number(match[1]) !== 19) return true;
  const stored = Object.fromEntries(match[2].split(',').map((pair) => pair.split('=') as [string, string]));
  return Number(stored.m) < params.memoryCost || Number(stored.t) < params.timeCost || Number(stored.p) < params.parallelism;
}
