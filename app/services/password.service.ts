import argon2 from 'argon2';
import pLimit from 'p-limit';
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
 *
 * At most `concurrency` hashes are handed to the pool at a time; the rest wait
 * here, in order. Why: the pool is one FIFO queue shared with node-sqlite3, so a
 * burst of 50 logins would otherwise put every database statement (refreshes,
 * health checks, the logins' own lookups and inserts) behind 50 hashes, starve the
 * hashing threads of new work in turn. Now a statement waits at most for one running
 * hash to finish, and for none when the pool has a thread more than `concurrency`
 * (UV_THREADPOOL_SIZE, config).
 */
export function createPasswordService(params: Argon2Params, concurrency: number): PasswordService {
  const options = { type: argon2.argon2id, ...params } as const;
  const hashing = pLimit(concurrency);
  let dummyHash: Promise<string> | undefined;
  const verifyHash = (hash: string, password: string) => hashing(() => argon2.verify(hash, password));

  return {
    hash: (password) => hashing(() => argon2.hash(password, options)),
    async verify(hash, password) {
      if (hash === null) {
        dummyHash ??= hashing(() => argon2.hash('not-a-real-password-just-for-timing', options));
        await verifyHash(await dummyHash, password);
        return false;
      }
      try {
        return await verifyHash(hash, password);
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
