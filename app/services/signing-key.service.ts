import type { Config } from '../../config';
import { AsymmetricAlgorithm, isAsymmetric } from '../../config/signing';
import type { Database } from '../../models';
import { exclusively } from '../../models/exclusive';
import { deleteSigningKeys, insertSigningKey, moveSigningKey, readSigningKeys, SigningKeyRow } from '../../models/signing-key.queries';
import type { Clock } from '../clock';
import { encryptPrivateKey } from '../keys/key-encryption';
import { generateSigningKey } from '../keys/key-generation';
import { acceptedUntil, isLive, KeyState } from '../keys/key-states';
import { NotFound } from './errors';
import { KeyRotationTooSoon } from './errors';

/** One key as `npm run keys -- list` shows it; `expired` is a `previous` key past its overlap (dropped; `prune` deletes it). */
export interface SigningKeyInfo {
  kid: string;
  alg: string;
  state: KeyState | 'expired';
  createdAt: Date;
  activatedAt: Date | null;
  retiredAt: Date | null;
  revokedAt: Date | null;
}

/** What a change did: keys created, the key that now signs, the key that stopped. */
export interface KeyChange {
  created: string[];
  current: string;
  retired?: string;
  revoked?: string;
}

export interface SigningKeyService {
  list(): Promise<SigningKeyInfo[]>;
  /** Development and tests: gives an empty table a `current` and a `next` key; null when it had them. */
  ensureKeys(): Promise<KeyChange | null>;
  /**
   * `next` becomes `current`, `current` becomes `previous`, a new `next` is made.
   * Refused (KeyRotationTooSoon) while `next` has been published for less than
   * JWKS_MAX_AGE, unless `force`. On an empty table: the first `current` and `next`.
   */
  rotate(options?: { force?: boolean }): Promise<KeyChange>;
  /** Drops the key from the JWKS and refuses its tokens. Revoking `current` promotes `next` at once (a compromise cannot wait). */
  revoke(kid: string): Promise<KeyChange>;
  /** Deletes revoked keys and previous keys past their overlap; returns their ids. */
  prune(): Promise<string[]>;
}

/** The PostgreSQL advisory lock of key changes (models/exclusive.ts): any fixed number, apart from the migrations'. */
export const SIGNING_KEY_LOCK_KEY = 7_146_031_221;
const LOCK_QUERY_TIMEOUT_MS = 30_000;

/**
 * The signing keys in the database (migration 009). Every change runs under one
 * lock (models/exclusive.ts) that all instances and CLIs share and reads the keys
 * after taking it, so two rotations at once happen one after the other and
 * never leave two `current` keys; partial unique indexes refuse one besides.
 * Runs in CLIs and at boot only: on SQLite the lock holds the connection requests use.
 */
export function createSigningKeyService(config: Readonly<Config>, db: Database, clock: Clock): SigningKeyService {
  const algorithm: AsymmetricAlgorithm = isAsymmetric(config.jwt.algorithm) ? config.jwt.algorithm : 'ES256';
  const secret = config.signingKeys.encryptionSecret;
  const ttl = config.accessTokenTtl;

  async function create(sequelize: Database['sequelize'], state: 'next' | 'current', now: Date): Promise<string> {
    const key = await generateSigningKey(algorithm);
    await insertSigningKey(sequelize, {
      kid: key.kid,
      alg: key.alg,
      state,
      publicJwk: JSON.stringify(key.publicJwk),
      encryptedPrivateKey: encryptPrivateKey(key.privateKey, key.kid, secret),
      createdAt: now,
      activatedAt: state === 'current' ? now : null,
    });
    return key.kid;
  }

  const withKeys = <T>(work: (sequelize: Database['sequelize'], keys: SigningKeyRow[], now: Date) => Promise<T>): Promise<T> =>
    exclusively(db.sequelize, SIGNING_KEY_LOCK_KEY, LOCK_QUERY_TIMEOUT_MS, async (sequelize) => work(sequelize, await readSigningKeys(sequelize), clock.now()));

  const inState = (keys: SigningKeyRow[], state: KeyState) => keys.find((key) => key.state === state);

  /** The new `current` after `current` left: `next` when there is one (published already), else a fresh key; and a fresh `next`. */
  async function promote(sequelize: Database['sequelize'], keys: SigningKeyRow[], now: Date): Promise<KeyChange> {
    const next = inState(keys, 'next');
    const created: string[] = [];
    let current: string;
    if (next && (await moveSigningKey(sequelize, next.kid, 'next', 'current', now))) {
      current = next.kid;
    } else {
      current = await create(sequelize, 'current', now);
      created.push(current);
    }
    created.push(await create(sequelize, 'next', now));
    return { created, current };
  }

  return {
    async list() {
      const now = clock.now();
      return (await readSigningKeys(db.sequelize)).map(({ kid, alg, state, createdAt, activatedAt, retiredAt, revokedAt }) => ({
        kid,
        alg,
        state: state === 'previous' && !isLive({ state, retiredAt }, now, ttl) ? 'expired' : state,
        createdAt,
        activatedAt,
        retiredAt,
        revokedAt,
      }));
    },

    ensureKeys: () =>
      withKeys(async (sequelize, keys, now) => {
        if (inState(keys, 'current')) return null;
        return promote(sequelize, keys, now);
      }),

    rotate: ({ force = false } = {}) =>
      withKeys(async (sequelize, keys, now) => {
        const current = inState(keys, 'current');
        const next = inState(keys, 'next');
        if (!current) return promote(sequelize, keys, now);
        if (!next) return { created: [await create(sequelize, 'next', now)], current: current.kid };
        const publishedFor = (now.getTime() - next.createdAt.getTime()) / 1000;
        if (!force && publishedFor < config.signingKeys.jwksMaxAge) {
          throw new KeyRotationTooSoon(next.kid, Math.ceil(config.signingKeys.jwksMaxAge - publishedFor));
        }
        await moveSigningKey(sequelize, current.kid, 'current', 'previous', now);
        return { ...(await promote(sequelize, keys, now)), retired: current.kid };
      }),

    revoke: (kid) =>
      withKeys(async (sequelize, keys, now) => {
        const key = keys.find((candidate) => candidate.kid === kid);
        if (!key) throw new NotFound('key_not_found', `no signing key ${kid}`);
        const wasCurrent = key.state === 'current';
        if (key.state !== 'revoked') await moveSigningKey(sequelize, kid, key.state, 'revoked', now);
        const left = keys.filter((candidate) => candidate.kid !== kid);
        if (wasCurrent) return { ...(await promote(sequelize, left, now)), revoked: kid };
        const current = inState(left, 'current')?.kid ?? '';
        const created = key.state === 'next' ? [await create(sequelize, 'next', now)] : [];
        return { created, current, revoked: kid };
      }),

    prune: () =>
      withKeys(async (sequelize, keys, now) => {
        const dead = keys.filter((key) => key.state === 'revoked' || (key.state === 'previous' && (key.retiredAt === null || acceptedUntil(key.retiredAt, ttl) <= now.getTime())));
        await deleteSigningKeys(sequelize, dead.map((key) => key.kid));
        return dead.map((key) => key.kid);
      }),
  };
}
