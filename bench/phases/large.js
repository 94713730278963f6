'use strict';
/**
 * A large database: BENCH_LARGE_USERS users (100,000) and BENCH_LARGE_TOKENS refresh
 * tokens (1,000,000, mostly of dead chains) bulk-loaded into a fresh SQLite file,
 * then logins, rotations and the guarded route on a server over it, each alternating
 * with the same load on the main server (a database of a few thousand rows). The
 * target: within 10 % of the main server, that is, nothing on the hot paths grows
 * with the tables.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const path = require('node:path');
const argon2 = require('argon2');
const { loadConfig } = require('../../dist/config');
const { agent, expectStatus, inParallel, request } = require('../lib/api');
const { loadLargeDatabase, usernameOf } = require('../lib/bulk-load');
const { CONNECTIONS, PASSWORD, guardedLoad, loginLoad, rotationLoad } = require('../lib/scenarios');
const { memoryOf, stop } = require('../lib/processes');
const { RUNS, SECONDS, WARMUP, assertMeasured, fillRefreshPool, log, pick, settle, total, versus } = require('../lib/harness');

const LARGE_USERS = Number(process.env.BENCH_LARGE_USERS) || 100_000;
const LARGE_TOKENS = Number(process.env.BENCH_LARGE_TOKENS) || 1_000_000;

/** Runs `run(side)` on the main server's side, then the large one's, RUNS times; `label` names the phase in the log. */
function alternate(bench, label, sides, run) {
  return bench.repeat(label, async () => ({ small: await run(sides.small, 'small'), large: await run(sides.large, 'large') }));
}

async function largePhase(bench) {
  const dir = mkdtempSync(path.join(bench.tmp, 'large-'));
  const file = path.join(dir, 'auth.sqlite');
  const config = loadConfig(bench.serverEnv);
  const passwordHash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...config.argon2 });
  log(`bulk-loading ${LARGE_USERS} users and ${LARGE_TOKENS} refresh tokens`);
  const loaded = await loadLargeDatabase({ file, passwordHash, config, users: LARGE_USERS, tokens: LARGE_TOKENS });
  log(`bulk load took ${loaded.seconds.toFixed(1)} s: ${JSON.stringify(loaded.counts)}`);
  bench.figures.push({
    key: 'large_load',
    label: `Bulk load: ${LARGE_USERS.toLocaleString('en-US')} users, ${LARGE_TOKENS.toLocaleString('en-US')} tokens`,
    unit: 's',
    value: loaded.seconds,
    counts: loaded.counts,
    target: { on: 'value', max: 60, text: '≤ 60 s' },
  });

  const server = await bench.startServer({ DATABASE_URL: `sqlite:${file}` }, dir);
  try {
    // As many users as the main server has, spread over the whole table.
    const count = bench.main.users.length;
    const users = Array.from({ length: count }, (_, i) => usernameOf(Math.floor(((i + 0.5) * LARGE_USERS) / count)));
    const pairs = await inParallel(users, 4, (username) =>
      expectStatus(request(server.port, 'POST', '/token', { grant_type: 'password', username, password: PASSWORD }), 200, `login ${username} (large database)`),
    );
    agent.destroy();
    const sides = {
      small: { port: bench.main.port, users: bench.main.users, tokens: bench.main.accessTokens, pool: bench.main.refreshPool },
      large: { port: server.port, users, tokens: pairs.map((p) => p.access_token), pool: pairs.map((p) => p.refresh_token) },
    };
    const each = async (task) => {
      for (const side of Object.values(sides)) await task(side);
    };

    await each(async (side) => assertMeasured('warm-up guarded', await guardedLoad(side.port, side.tokens, WARMUP)));
    const guarded = await alternate(bench, 'large: guarded', sides, async (side, name) =>
      assertMeasured(`GET /protected, ${name} database`, await guardedLoad(side.port, side.tokens, SECONDS)),
    );

    await each(async (side) => {
      await loginLoad(side.port, side.users, { seconds: WARMUP, pool: side.pool });
      await settle(side.port);
    });
    const logins = await alternate(bench, 'large: logins', sides, async (side, name) => {
      const result = assertMeasured(`POST /token, ${name} database`, await loginLoad(side.port, side.users, { seconds: SECONDS, pool: side.pool }));
      await settle(side.port); // before the other side runs
      return result;
    });

    await each(async (side) => {
      await fillRefreshPool(side.port, side.users, side.pool, CONNECTIONS * (RUNS + 1) * 2);
      await settle(side.port);
      assertMeasured('warm-up rotations', await rotationLoad(side.port, side.pool, WARMUP));
    });
    const rotations = await alternate(bench, 'large: rotations', sides, async (side, name) =>
      assertMeasured(`POST /token/refresh, ${name} database`, await rotationLoad(side.port, side.pool, SECONDS)),
    );

    const rssMB = memoryOf(server.child.pid)?.rss / 2 ** 20;
    const figure = (key, label, unit, rounds) =>
      versus({
        key: `large_${key}`,
        label: `${label}, large database`,
        unit,
        samples: pick(rounds, 'large', 'perSecond'),
        failures: total(rounds, 'large', 'failures'),
        rssMB,
        reference: { name: 'same, small database', samples: pick(rounds, 'small', 'perSecond') },
        target: { on: 'ratio', min: 0.9, text: '≥ 0.9× small' },
      });
    bench.figures.push(
      figure('guarded', `GET /protected, ${CONNECTIONS} conn`, 'req/s', guarded),
      figure('logins', 'POST /token logins', '/s', logins),
      figure('rotations', `POST /token/refresh, ${CONNECTIONS} conn`, '/s', rotations),
    );
  } finally {
    await stop(server.child);
    rmSync(dir, { recursive: true, force: true }); // hundreds of MB
  }
}

module.exports = { largePhase, LARGE_USERS, LARGE_TOKENS };
