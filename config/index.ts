import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseDurationSeconds } from './duration';
import { parseHost, parseRedisUrl, parseTrustProxy, parseWebConcurrency } from './parsers';
import { parsePublicUrl } from './public-url';
import { parseIntrospectionClients, IntrospectionClient } from './introspection-clients';
import { parseSigning, JwtAlgorithm } from './signing';
import { MailConfig, parseMail } from './mail';
import { parseDatabaseUrl, DatabaseTarget } from './database-url';
import { normalizeOrigin } from './origin';

/**
 * Configuration is read once, every key validated, and frozen. Nothing else in
 * the code base reads process.env: tests build a Config from an object of their own.
 */
export type NodeEnv = 'development' | 'test' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Argon2Params {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

export interface Config {
  env: NodeEnv;
  port: number;
  /** The address to listen on; null = every interface (Node's default: `::`, or `0.0.0.0` without IPv6). */
  host: string | null;
  database: DatabaseTarget;
  /** `secret` signs HS256 tokens and keys the refresh-token successors whatever the algorithm. */
  jwt: { secret: string; secretGenerated: boolean; issuer: string; audience: string; algorithm: JwtAlgorithm };
  signingKeys: { encryptionSecret: string; jwksMaxAge: number };
  /** PUBLIC_URL without a trailing slash: the base of the URLs the server publishes. */
  publicUrl: string;
  /** INTROSPECTION_CLIENTS; none = POST /token/introspect is off (404). */
  introspectionClients: IntrospectionClient[];
  mail: MailConfig;
  accessTokenTtl: number; // seconds
  refreshTokenTtl: number; // seconds
  refreshReuseInterval: number; // seconds
  /** Absolute lifetime of a login session, whatever its rotations (seconds; 0 = none). */
  sessionMaxLifetime: number;
  argon2: Argon2Params;
  /** libuv's pool, where argon2 and node-sqlite3 run: `hashConcurrency` of its `size` threads at most hash at a time. */
  threadPool: { size: number; hashConcurrency: number; nice: number };
  logLevel: LogLevel;
  authRateLimit: number; // requests per minute per IP, 0 = off
  loginFailureLimit: number; // failed logins per username per 15 minutes, 0 = off
  trustProxy: boolean | number | string;
  corsOrigins: string[];
  bodyLimit: string;
  seedDemoUser: boolean;
  /** Worker processes `npm start` runs on one port (Node's cluster module); 1 = no cluster. */
  webConcurrency: number;
  /** REDIS_URL: shared rate-limit counts (and cross-instance notices on SQLite); null = none. */
  redisUrl: string | null;
  /** How often dead refresh tokens are deleted (seconds; 0 = never, `npm run prune` only). */
  tokenPruneInterval: number;
}

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
// OWASP's argon2id rows all start at m=19 MiB, t=2, p=1; anything cheaper is refused outside tests.
const OWASP_MIN: Argon2Params = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Upper bounds of the durations. Without them a TTL of "999999999d" lies past the
 * last date a JavaScript Date holds (8.64e15 ms), and the expiry was stored as an
 * Invalid Date that never expires.
 * - An access token cannot be recalled once issued (only a logout-all or password
 *   change refuses it), so it stays short: a day at most; refresh tokens are how
 *   a session outlives it.
 * - A refresh token or a whole session lasting more than a year is a credential
 *   nobody remembers handing out; a year also leaves every expiry far inside the
 *   range of a Date and of the databases' timestamp types.
 * - The reuse interval is how long a rotated (that is, already used) refresh token
 *   still yields its successor instead of counting as theft: it exists for tabs
 *   refreshing at the same moment, which takes seconds, so five minutes is ample.
 */
const MAX_SECONDS = {
  accessTokenTtl: 86400,
  refreshTokenTtl: 365 * 86400,
  sessionMaxLifetime: 365 * 86400,
  refreshReuseInterval: 300,
} as const;

/** 86400 -> "1d", 300 -> "5m": the largest unit that divides it, as ACCESS_TOKEN_TTL and friends are written. */
function formatSeconds(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export function loadConfig(env: Env): Readonly<Config> {
  const problems: string[] = [];
  const read = (key: string): string | undefined => {
    const value = env[key];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  function integer(key: string, fallback: number, min: number, max: number): number {
    const raw = read(key);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  }

  function duration(key: string, fallback: number, min: number, max: number): number {
    const raw = read(key);
    if (raw === undefined) return fallback;
    const seconds = parseDurationSeconds(raw);
    if (seconds === null || seconds < min || seconds > max) {
      const from = min === 0 ? '0s (none)' : formatSeconds(min);
      problems.push(`${key} must be seconds or a number with s/m/h/d, from ${from} to ${formatSeconds(max)} (got "${raw}")`);
      return fallback;
    }
    return seconds;
  }

  const envName = read('NODE_ENV') ?? 'development';
  if (!['development', 'test', 'production'].includes(envName)) {
    problems.push(`NODE_ENV must be development, test or production (got "${envName}")`);
  }
  const nodeEnv = (['development', 'test', 'production'].includes(envName) ? envName : 'development') as NodeEnv;

  const databaseUrl = read('DATABASE_URL') ?? 'sqlite:data/auth.sqlite';
  const database = parseDatabaseUrl(databaseUrl);
  if (!database) problems.push(`DATABASE_URL must be sqlite:<file>, sqlite::memory: or postgres://… (got "${databaseUrl}")`);

  let secret = read('JWT_SECRET');
  const secretGenerated = secret === undefined;
  if (nodeEnv === 'production' && (secret === undefined || Buffer.byteLength(secret) < 32)) {
    problems.push('JWT_SECRET must be set to at least 32 bytes in production');
  } else if (secret !== undefined && Buffer.byteLength(secret) < 32 && nodeEnv !== 'test') {
    problems.push('JWT_SECRET must be at least 32 bytes long');
  }
  // Outside production a missing secret is generated per process: tokens then die with the process.
  secret ??= randomBytes(48).toString('base64url');

  /**
   * argon2 is CPU-bound: more hashes at once than CPUs cannot hash faster, and each
   * running hash holds its own 19 MiB, kept by its thread's allocator afterwards.
   * Hashes beyond ARGON2_CONCURRENCY wait in the process, not on the pool
   * (app/services/password.service.ts). A pool one thread larger than the
   * concurrency gives database work a thread of its own (docs/performance.md).
   */
  function threadPool(): Config['threadPool'] {
    const size = integer('UV_THREADPOOL_SIZE', availableParallelism(), 1, 1024);
    return {
      size,
      hashConcurrency: integer('ARGON2_CONCURRENCY', Math.min(availableParallelism(), size), 1, size),
      // In production, the lowest priority, below the event loop, so a burst of logins never makes guarded requests wait for a
      // core (app/thread-pool.ts). Not on development and test machines: shared with browsers and test
      // runners, a niced pool would leave database work waiting behind them.
      nice: integer('THREAD_POOL_NICE', nodeEnv === 'production' ? 19 : 0, 0, 19),
    };
  }

  const minArgon = nodeEnv === 'test' ? { memoryCost: 1024, timeCost: 1, parallelism: 1 } : OWASP_MIN;
  const argon2: Argon2Params = {
    memoryCost: integer('ARGON2_MEMORY_KIB', OWASP_MIN.memoryCost, minArgon.memoryCost, 4 * 1024 * 1024),
    timeCost: integer('ARGON2_TIME_COST', OWASP_MIN.timeCost, minArgon.timeCost, 100),
    parallelism: integer('ARGON2_PARALLELISM', OWASP_MIN.parallelism, minArgon.parallelism, 16),
  };

  const logLevel = (read('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info')) as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  // Normalised to what browsers send as Origin (config/origin.ts), so the middleware compares strings.
  const corsOrigins: string[] = [];
  for (const entry of (read('CORS_ORIGINS') ?? '').split(',').map((o) => o.trim()).filter(Boolean)) {
    const origin = normalizeOrigin(entry);
    if (origin === null) {
      problems.push(`CORS_ORIGINS entries must be origins, http(s)://host[:port] with nothing after, like https://app.example.com (got "${entry}")`);
    } else if (!corsOrigins.includes(origin)) {
      corsOrigins.push(origin);
    }
  }

  const seed = read('SEED_DEMO_USER');
  if (seed !== undefined && !['true', 'false'].includes(seed)) problems.push(`SEED_DEMO_USER must be true or false (got "${seed}")`);

  const port = integer('PORT', 3000, 0, 65535);
  const publicUrl = parsePublicUrl(read('PUBLIC_URL'), port, problems);
  const signing = parseSigning(read, nodeEnv, problems);

  const config: Config = {
    env: nodeEnv,
    port,
    host: parseHost(read('HOST'), nodeEnv, problems),
    database: database ?? { dialect: 'sqlite', storage: ':memory:' },
    jwt: {
      secret,
      secretGenerated,
      // RFC 8414 section 2 and RFC 9068 section 4 want the `iss` of tokens to be the issuer URL of the server
      // metadata: PUBLIC_URL once it is set. Not its localhost default, which differs with PORT: instances
      // behind one balancer would each refuse the others' tokens.
      issuer: read('JWT_ISSUER') ?? (read('PUBLIC_URL') === undefined ? 'auth-server' : publicUrl),
      audience: read('JWT_AUDIENCE') ?? 'auth-server-api',
      algorithm: signing.algorithm,
    },
    signingKeys: { encryptionSecret: signing.keyEncryptionSecret, jwksMaxAge: duration('JWKS_MAX_AGE', 600, 0, 86400) },
    publicUrl,
    introspectionClients: parseIntrospectionClients(read('INTROSPECTION_CLIENTS'), problems),
    mail: {
      ...parseMail(read, nodeEnv, problems),
      resetTokenTtl: duration('RESET_TOKEN_TTL', 30 * 60, 60, 86400),
      emailVerifyTtl: duration('EMAIL_VERIFY_TTL', 86400, 60, 30 * 86400),
      rateLimit: integer('MAIL_RATE_LIMIT', 3, 0, 1000),
    },
    accessTokenTtl: duration('ACCESS_TOKEN_TTL', 15 * 60, 1, MAX_SECONDS.accessTokenTtl),
    refreshTokenTtl: duration('REFRESH_TOKEN_TTL', 30 * 86400, 1, MAX_SECONDS.refreshTokenTtl),
    refreshReuseInterval: duration('REFRESH_REUSE_INTERVAL', 10, 0, MAX_SECONDS.refreshReuseInterval),
    sessionMaxLifetime: duration('SESSION_MAX_LIFETIME', 90 * 86400, 0, MAX_SECONDS.sessionMaxLifetime),
    argon2,
    threadPool: threadPool(),
    logLevel,
    authRateLimit: integer('AUTH_RATE_LIMIT', 30, 0, 1_000_000),
    loginFailureLimit: integer('LOGIN_FAILURE_LIMIT', 10, 0, 1_000_000),
    trustProxy: parseTrustProxy(read('TRUST_PROXY'), problems),
    corsOrigins,
    bodyLimit: '16kb',
    seedDemoUser: seed === undefined ? nodeEnv === 'development' : seed === 'true',
    webConcurrency: parseWebConcurrency(read('WEB_CONCURRENCY'), problems),
    redisUrl: parseRedisUrl(read('REDIS_URL'), problems),
    tokenPruneInterval: duration('TOKEN_PRUNE_INTERVAL', 3600, 0, 7 * 86400),
  };
  if (nodeEnv === 'production' && config.seedDemoUser) problems.push('SEED_DEMO_USER cannot be true in production');
  if (config.webConcurrency > 1 && config.database.dialect === 'sqlite' && config.database.storage === ':memory:') {
    problems.push('WEB_CONCURRENCY above 1 needs a database the workers share: an in-memory SQLite database would be one per worker');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) {
    if (inner && typeof inner === 'object') deepFreeze(inner);
  }
  return Object.freeze(value);
}
