import { createPublicKey, KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { JwtAlgorithm } from '../../config/signing';
import type { Database } from '../../models';
import { readSigningKeys, SigningKeyRow } from '../../models/signing-key.queries';
import type { Clock } from '../clock';
import type { InvalidationChannel } from '../invalidation/channel';
import { decryptPrivateKey } from './key-encryption';
import type { JwkSet, KeyRing, TokenSigner, VerificationKey } from './key-ring';
import { acceptedUntil, isLive, KEY_RELOAD_INTERVAL_MS } from './key-states';

/** A key asked for by a token but not held (another instance rotated first) reads the table again, at most this often. */
const MISS_RELOAD_MS = 1_000;

/** There is no `current` key: production never makes one by itself. */
export class NoSigningKey extends Error {
  constructor() {
    super('there is no current signing key: create one with `npm run keys -- rotate`');
    this.name = 'NoSigningKey';
  }
}

interface Loaded {
  signer: TokenSigner | null;
  /** current and previous keys, each with the moment it stops being accepted (Infinity for current). */
  accepted: Map<string, VerificationKey & { until: number }>;
  jwks: JwkSet;
}

/**
 * The signing keys of the database, in memory. Read at start (ready() rejects when
 * there is no `current` key or it cannot be decrypted), then again every
 * KEY_RELOAD_INTERVAL_MS, at once when the channel says the keys changed
 * (PostgreSQL), and when a token names a key this process does not hold yet.
 * A failed reload keeps the keys held and logs; a key dropped or revoked is
 * refused from the reload that sees it, and listeners are told.
 */
export function databaseKeyRing(deps: { db: Database; clock: Clock; accessTokenTtl: number; encryptionSecret: string; channel?: InvalidationChannel; logger?: Logger }): KeyRing {
  const { db, clock, accessTokenTtl, encryptionSecret, channel, logger } = deps;
  const privateKeys = new Map<string, KeyObject>();
  const listeners: Array<() => void> = [];
  let loaded: Loaded = { signer: null, accepted: new Map(), jwks: { keys: [] } };
  let reloading: Promise<void> | null = null;
  let lastMissReload = 0;
  let closed = false;

  function build(rows: SigningKeyRow[]): Loaded {
    const now = clock.now();
    const live = rows.filter((row) => row.state !== 'revoked' && isLive(row, now, accessTokenTtl));
    const accepted = new Map<string, VerificationKey & { until: number }>();
    let signer: TokenSigner | null = null;
    const published = live.map((row) => JSON.parse(row.publicJwk) as JWK);
    live.forEach((row, i) => {
      const jwk = published[i];
      const alg = row.alg as JwtAlgorithm;
      if (row.state === 'next') return;
      accepted.set(row.kid, { alg, key: createPublicKey({ key: jwk as never, format: 'jwk' }), until: row.state === 'current' ? Infinity : acceptedUntil(row.retiredAt!, accessTokenTtl) });
      if (row.state === 'current') {
        const key = privateKeys.get(row.kid) ?? decryptPrivateKey(row.encryptedPrivateKey, row.kid, encryptionSecret);
        privateKeys.set(row.kid, key);
        signer = { alg, kid: row.kid, key };
      }
    });
    return { signer, accepted, jwks: { keys: published } };
  }

  async function load(): Promise<void> {
    const next = build(await readSigningKeys(db.sequelize));
    const dropped = [...loaded.accepted.keys()].some((kid) => !next.accepted.has(kid));
    loaded = next;
    for (const kid of privateKeys.keys()) if (next.signer?.kid !== kid) privateKeys.delete(kid);
    if (dropped) listeners.forEach((listener) => listener());
  }

  /** One read at a time; callers during a read share it. */
  function reload(): Promise<void> {
    reloading ??= load()
      .catch((error: unknown) => logger?.error({ err: error }, 'could not reload the signing keys: keeping the ones held'))
      .finally(() => {
        reloading = null;
      });
    return reloading;
  }

  const first = load().then(() => {
    if (!loaded.signer) throw new NoSigningKey();
  });
  first.catch(() => undefined);
  const timer = setInterval(() => void reload(), KEY_RELOAD_INTERVAL_MS);
  timer.unref();
  channel?.listenForKeyChanges?.(() => {
    if (!closed) void reload();
  });

  function held(kid: string): (VerificationKey & { until: number }) | undefined {
    const key = loaded.accepted.get(kid);
    return key && key.until > clock.now().getTime() ? key : undefined;
  }

  return {
    ready: () => first,
    reload,
    signer() {
      if (!loaded.signer) throw new NoSigningKey();
      return loaded.signer;
    },
    async verificationKey({ alg, kid }) {
      if (typeof kid !== 'string') return undefined;
      await first.catch(() => undefined); // a token that arrives before the first read waits for it
      let key = held(kid);
      if (!key && Date.now() - lastMissReload >= MISS_RELOAD_MS) {
        lastMissReload = Date.now();
        await reload();
        key = held(kid);
      }
      // The algorithm is the key's, whatever the header claims (RFC 8725 section 3.1).
      return key && key.alg === alg ? key : undefined;
    },
    jwks: () => loaded.jwks,
    onChange: (listener) => listeners.push(listener),
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
