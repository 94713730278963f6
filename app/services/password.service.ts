import argon2 from 'argon2';
import pLimit from 'p-limit';
import type { Argon2Params } from '../../config';
import { normalizePassword } from '../validators/password-policy';

export interface Verification {
  ok: boolean;
  /** It matched, and the stored hash should be replaced: made at a lower cost than configured, or from the password before NFKC. */
  rehash: boolean;
}

export interface PasswordService {
  /** An argon2id hash of the password's NFKC form; when it `replaces` a stored hash, never weaker than that one in any parameter. */
  hash(password: string, replaces?: string): Promise<string>;
  /** Verifies; an unknown user (`null`) is verified against a dummy hash so both cost the same. */
  verify(hash: string | null, password: string): Promise<Verification>;
}

const NO_MATCH: Verification = { ok: false, rehash: false };

/**
 * argon2id with the configured cost. argon2 runs on libuv's thread pool, so a
 * hash never blocks the event loop. Timing: a login for a missing user still pays
 * for the same verifications against a hash made with the same parameters.
 *
 * Passwords are hashed in their NFKC form (NIST SP 800-63B 5.1.1.2). Hashes made
 * before that hold the password as sent, so when the NFKC form fails and differs
 * from it, the form as sent is tried as well, and a match there asks for a rehash.
 * That second try happens for an unknown user too: the same input costs the same.
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
  const hashing = pLimit(concurrency);
  const hashWith = (password: string, cost: Argon2Params) => hashing(() => argon2.hash(password, { type: argon2.argon2id, ...cost }));
  const verifyHash = (hash: string, password: string) => hashing(() => argon2.verify(hash, password));
  let dummyHash: Promise<string> | undefined;

  return {
    hash: (password, replaces) => hashWith(normalizePassword(password), atLeast(params, replaces)),
    async verify(hash, password) {
      const normal = normalizePassword(password);
      const forms = normal === password ? [normal] : [normal, password];
      if (hash === null) {
        dummyHash ??= hashWith('not-a-real-password-just-for-timing', params);
        for (const form of forms) await verifyHash(await dummyHash, form);
        return NO_MATCH;
      }
      for (const [index, form] of forms.entries()) {
        // A malformed stored hash must not become a 500 or a login.
        if (await verifyHash(hash, form).catch(() => false)) {
          return { ok: true, rehash: index > 0 || isWeakerThan(hash, params) };
        }
      }
      return NO_MATCH;
    },
  };
}

/** The memory, time and parallelism costs of an argon2id (v=19) hash; null for anything else. */
function costOf(hash: string): Argon2Params | null {
  const match = /^\$argon2id\$v=(\d+)\$([^$]+)\$/.exec(hash);
  if (!match || Number(match[1]) !== 19) return null;
  const stored = Object.fromEntries(match[2].split(',').map((pair) => pair.split('=') as [string, string]));
  return { memoryCost: Number(stored.m), timeCost: Number(stored.t), parallelism: Number(stored.p) };
}

/**
 * True when a stored hash is weaker than the configured parameters: another
 * argon2 variant or version, or a lower memory, time or parallelism cost. Unlike
 * argon2.needsRehash (any difference), a hash that is already stronger is kept, so
 * an app still running an older, cheaper configuration never downgrades it.
 */
function isWeakerThan(hash: string, params: Argon2Params): boolean {
  const stored = costOf(hash);
  return !stored || stored.memoryCost < params.memoryCost || stored.timeCost < params.timeCost || stored.parallelism < params.parallelism;
}

/**
 * The configured cost, raised to that of the hash being replaced wherever it is higher. A rehash
 * happens when one parameter is low (or the hash predates NFKC) while others may be higher than
 * this app's; each keeps the higher value, so no replacement is a downgrade.
 */
function atLeast(params: Argon2Params, replaces: string | undefined): Argon2Params {
  const stored = replaces === undefined ? null : costOf(replaces);
  if (!stored) return params;
  return {
    memoryCost: Math.max(params.memoryCost, stored.memoryCost),
    timeCost: Math.max(params.timeCost, stored.timeCost),
    parallelism: Math.max(params.parallelism, stored.parallelism),
  };
}
