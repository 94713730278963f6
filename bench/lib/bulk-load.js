'use strict';
/**
 * A large database, made fast: the server's own migrations on a fresh SQLite file,
 * then users, sessions and refresh tokens written by multi-row INSERT … SELECT
 * statements inside one transaction on a raw node-sqlite3 connection (not through
 * the API: 100,000 registrations are an hour of argon2). Every user shares one real
 * argon2id hash of the bench password, so any of them can log in.
 *
 * The rows are what the server itself would have written (models/migrations/*.ts):
 * a session is a refresh-token chain (sessions.id = chain_id, same user); each token
 * after the first names its parent, and migration 002's trigger marks that parent
 * rotated as the successor goes in, as a rotation does, so every chain ends in one
 * unrotated token. Token lifetimes and the refresh interval are the server's
 * config. Most chains are dead: logged out (revoked), expired (their newest token
 * past REFRESH_TOKEN_TTL) or superseded (a password change moved the user's
 * session version on); a tenth are live. Dates are the text Sequelize stores on
 * SQLite ("2026-11-29 23:45:00.123 +00:00"), so the server's comparisons hold.
 *
 * Speed (about 30 s of CPU for 100,000 users and 1,000,000 tokens): the rows are
 * generated inside SQLite (JavaScript building the SQL text spent more time in its
 * garbage collector than SQLite spent writing); journal and fsync are off (a failed
 * load is thrown away with its temp dir; the server turns WAL on again when it
 * opens the file); and the migrations' own named indexes are dropped first and made
 * again from their own SQL at the end, one sort each instead of a million inserts.
 */
const { promisify } = require('node:util');
const sqlite3 = require('sqlite3');
const { Sequelize } = require('sequelize');
const { migrate } = require('../../dist/models/migrate');

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MAX_CHAIN = 9; // tokens per session: 1 to 9, 5 on average

/** The bench's name of loaded user n (from 0); a name the server accepts. */
const usernameOf = (n) => `user_${String(n).padStart(6, '0')}`;

// SQL expressions: a random v4 UUID in the server's form, Sequelize's SQLite date text of epoch ms, a uniform number in [0, 1).
const UUID = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
  || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;
const DATE = (ms) => `strftime('%Y-%m-%d %H:%M:%f +00:00', (${ms}) / 1000.0, 'unixepoch')`;
const UNIT = '((random() & 1048575) / 1048576.0)';

/**
 * Session kinds, by a draw k in 0..99: live below 10, revoked below 50, expired below
 * 90, superseded above (of the user's session version before their password change;
 * simply expired when the user never changed it). `created` is when the session
 * began: its newest token, at most MAX_CHAIN - 1 refreshes later, is unexpired when
 * live, expired when expired or superseded, in the past always.
 */
function sessionStart({ now, refreshTtl, refreshEvery }) {
  const lastToken = (MAX_CHAIN - 1) * refreshEvery;
  return `CASE WHEN k < 10 THEN ${now - lastToken - HOUR} - r * ${20 * DAY}
    WHEN k >= 50 THEN ${now - lastToken - refreshTtl - DAY} - r * ${300 * DAY}
    ELSE ${now - lastToken - HOUR} - r * ${365 * DAY} END`;
}

/** The statements, in order, each with its `$name` parameters. */
function statements({ users, tokens, passwordHash, now, refreshTtl, refreshEvery }) {
  return [
    // 5 % of users changed their password once: session version 1.
    [`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $users),
        drawn AS MATERIALIZED (SELECT i, ${UUID} AS id, printf('user_%06d', i) AS name, (random() & 127) < 6 AS version,
          ${DATE(`${now - 400 * DAY} + ${UNIT} * ${30 * DAY}`)} AS created FROM n)
      INSERT INTO users (id, username, username_key, email, password_hash, session_version, role, created_at, updated_at)
        SELECT id, name, name, name || '@example.com', $hash, version, 'user', created, created FROM drawn ORDER BY i`,
      { $users: users, $hash: passwordHash }],
    // The plan: one row per session, its user (by rowid: users went in as 1..$users), kind and chain length; lengths
    // drawn until they add up to exactly $tokens (the last chain cut short).
    ['CREATE TEMP TABLE plan (seq INTEGER PRIMARY KEY, id TEXT, user_rowid INTEGER, k INTEGER, len INTEGER, created INTEGER)'],
    [`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $draws),
        drawn AS MATERIALIZED (SELECT i, 1 + abs(random() % $users) AS u, abs(random() % 100) AS k,
          1 + abs(random() % ${MAX_CHAIN}) AS len, ${UNIT} AS r FROM n),
        placed AS MATERIALIZED (SELECT *, SUM(len) OVER (ORDER BY i) - len AS first FROM drawn)
      INSERT INTO plan SELECT i, ${UUID}, u, k, MIN(len, $tokens - first), ${sessionStart({ now, refreshTtl, refreshEvery })}
        FROM placed WHERE first < $tokens`,
      { $draws: Math.ceil((tokens / MAX_CHAIN) * 2.5), $users: users, $tokens: tokens }],
    [`INSERT INTO sessions (id, user_id, session_version, created_at, revoked_at)
        SELECT p.id, u.id, CASE WHEN p.k >= 90 AND u.session_version > 0 THEN u.session_version - 1 ELSE u.session_version END,
          ${DATE('p.created')}, CASE WHEN p.k BETWEEN 10 AND 49 THEN ${DATE(`p.created + (p.len - 1) * ${refreshEvery} + 60000`)} END
        FROM plan p JOIN users u ON u.rowid = p.user_rowid ORDER BY p.seq`],
    // Token ids first, so each token can name its parent; then the tokens, parents first (the trigger marks them rotated).
    ['CREATE TEMP TABLE chain (seq INTEGER, i INTEGER, id TEXT, PRIMARY KEY (seq, i)) WITHOUT ROWID'],
    [`WITH RECURSIVE d(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < ${MAX_CHAIN - 1})
      INSERT INTO chain SELECT p.seq, d.i, ${UUID} FROM plan p JOIN d ON d.i < p.len ORDER BY p.seq, d.i`],
    [`INSERT INTO refresh_tokens (id, user_id, chain_id, parent_id, token_hash, expires_at, created_at)
        SELECT c.id, u.id, p.id, parent.id, lower(hex(randomblob(32))),
          ${DATE(`p.created + c.i * ${refreshEvery} + ${refreshTtl}`)}, ${DATE(`p.created + c.i * ${refreshEvery}`)}
        FROM chain c JOIN plan p ON p.seq = c.seq JOIN users u ON u.rowid = p.user_rowid
          LEFT JOIN chain parent ON parent.seq = c.seq AND parent.i = c.i - 1
        ORDER BY c.seq, c.i`],
  ];
}

/**
 * Makes `file` (a path that does not exist yet) a migrated database holding `users`
 * users and exactly `tokens` refresh tokens. `config` is the server's (dist/config).
 * Resolves with row counts and the seconds taken; rejects when the rows are not
 * consistent (one unrotated token per session).
 */
async function loadLargeDatabase({ file, passwordHash, config, users, tokens, now = Date.now() }) {
  const startedAt = performance.now();
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: file, logging: false });
  await migrate(sequelize);
  await sequelize.close();

  const db = new sqlite3.Database(file);
  const exec = promisify(db.exec.bind(db));
  const all = promisify(db.all.bind(db));
  const run = (sql, params = {}) => new Promise((resolve, reject) => db.run(sql, params, (error) => (error ? reject(error) : resolve())));
  try {
    await exec(`PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -${512 * 1024}; PRAGMA temp_store = MEMORY;`);
    const indexes = await all("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('users', 'sessions', 'refresh_tokens')");
    await exec('BEGIN');
    for (const index of indexes) await run(`DROP INDEX "${index.name}"`);
    const refresh = { refreshTtl: config.refreshTokenTtl * 1000, refreshEvery: config.accessTokenTtl * 1000 }; // a client refreshes as its access token runs out
    for (const [sql, params] of statements({ users, tokens, passwordHash, now, ...refresh })) await run(sql, params);
    for (const index of indexes) await run(index.sql);
    await exec('COMMIT');

    const [counts] = await all(`SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM sessions) AS sessions,
      (SELECT COUNT(*) FROM refresh_tokens) AS refreshTokens, (SELECT COUNT(*) FROM refresh_tokens WHERE rotated_at IS NULL) AS unrotated,
      (SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id AND u.session_version = s.session_version
        WHERE s.revoked_at IS NULL AND EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.chain_id = s.id AND t.rotated_at IS NULL AND t.expires_at > ${DATE(now)})) AS liveSessions`);
    if (counts.users !== users || counts.refreshTokens !== tokens || counts.unrotated !== counts.sessions) {
      throw new Error(`bulk load made inconsistent rows: ${JSON.stringify(counts)}`);
    }
    return { counts, seconds: (performance.now() - startedAt) / 1000 };
  } finally {
    await promisify(db.close.bind(db))();
  }
}

module.exports = { loadLargeDatabase, usernameOf };
