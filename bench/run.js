'use strict';
/**
 * `npm run bench`: the server against its ceilings, in one run, on this machine.
 *
 * Processes: the real server (`node <npm start's flags> dist/server.js`, production
 * mode, a fresh SQLite file in a temp dir, logging at warn, token pruning off) and
 * four references, each its own process: (a) bare Express 5, (b) the tutorial
 * passport-jwt + Sequelize app, (c) a raw argon2id verify loop with the server's
 * parameters, (d) the minimal peer login (Express + passport-local + argon2id +
 * jsonwebtoken, users in a Map). Phases that need more start more servers: one with
 * WEB_CONCURRENCY=2, one on PostgreSQL, one on a bulk-loaded large SQLite database,
 * three with JWT_ALGORITHM HS256, ES256 and EdDSA.
 * Load comes from autocannon in this process. Every figure is measured RUNS times
 * after a warm-up and the median is quoted; runs of the server and of whatever it
 * is compared with alternate, so noise from a shared machine falls on both sides of
 * a ratio.
 *
 * Prints one table and writes bench/results/latest.json. Exits non-zero only when
 * something could not be measured; a missed target is for people to read, and a
 * phase that cannot run here (PostgreSQL unreachable) is skipped with one line.
 *
 * Knobs (env): BENCH_RUNS (3), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (3),
 * BENCH_ONLY (a comma-separated subset of the phases guarded, logins, rotations,
 * registrations, p99, cluster, large, postgres, algorithms; startup and peak RSS always),
 * BENCH_LARGE_USERS (100000) and BENCH_LARGE_TOKENS (1000000) for the large
 * database, BENCH_POSTGRES_URL (the admin URL a fresh database is created from;
 * postgres://postgres@127.0.0.1:5432/test), UV_THREADPOOL_SIZE and THREAD_POOL_NICE
 * (given to the servers and the argon2 references alike; THREAD_POOL_NICE=0 on a
 * machine busy with other work, where a pool at nice 19 barely gets to hash),
 * BENCH_OUT (the JSON file), BENCH_SERVER_OUTPUT (a file to copy the servers' output to).
 */
const { randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { agent, expectStatus, inParallel, request } = require('./lib/api');
const { median } = require('./lib/load');
const { CONNECTIONS, FIXED_RATE, FIXED_RATE_LANES, PASSWORD } = require('./lib/scenarios');
const { ROOT, SERVER_ENTRY, sleep, startReference, startServer, stop, watchRss } = require('./lib/processes');
const { report } = require('./lib/report');
const { RUNS, SECONDS, WARMUP, cpuModel, createRepeat, log, selectedSections, startFlags } = require('./lib/harness');
const { shown, ADMIN_URL } = require('./lib/postgres');
const { guardedPhase } = require('./phases/guarded');
const { loginsPhase } = require('./phases/logins');
const { rotationsPhase } = require('./phases/rotations');
const { registrationsPhase } = require('./phases/registrations');
const { fixedRatePhase } = require('./phases/fixed-rate');
const { clusterPhase } = require('./phases/cluster');
const { largePhase, LARGE_TOKENS, LARGE_USERS } = require('./phases/large');
const { postgresPhase } = require('./phases/postgres');
const { algorithmsPhase } = require('./phases/algorithms');

const PHASES = { guarded: guardedPhase, logins: loginsPhase, rotations: rotationsPhase, registrations: registrationsPhase, p99: fixedRatePhase, cluster: clusterPhase, large: largePhase, postgres: postgresPhase, algorithms: algorithmsPhase };
const USERS = 50; // one per connection, so guarded requests spread over many users
const OUT = process.env.BENCH_OUT || path.join(ROOT, 'bench/results/latest.json');

/** How each reference starts, on first use. */
function referenceStarters({ serverEnv, nodeFlags, tmp, users, secret }) {
  const plain = { PATH: process.env.PATH, NODE_ENV: 'production' };
  return {
    bare: () => startReference('bare-express.js', plain),
    tutorial: () => startReference('tutorial-passport.js', { ...plain, BENCH_TUTORIAL_DB: path.join(tmp, 'tutorial.sqlite'), BENCH_USERS: String(users.length), BENCH_SECRET: secret }),
    ceiling: () => startReference('argon2-ceiling.js', serverEnv),
    peer: () => startReference('peer-login.js', { ...serverEnv, BENCH_USERNAMES: users.join(',') }, { execArgv: nodeFlags }),
  };
}

async function main() {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first (npm run bench does)`);
  const sections = selectedSections();
  const { loadConfig } = require('../dist/config');
  const startedAt = Date.now();
  const loadBefore = os.loadavg();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'auth-bench-'));
  const children = [];
  const secret = randomBytes(36).toString('base64url'); // 48 bytes
  const serverEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    MAIL_DISABLED: 'true', // a run sends no mail, and production starts without SMTP_URL only with mail off
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT: '0', // one client IP sends everything here
    LOGIN_FAILURE_LIMIT: '0',
    TOKEN_PRUNE_INTERVAL: '0', // a run measures requests, and the large database keeps the dead rows it was loaded with
    // Only when set here: otherwise the servers (and the argon2 references) pick their defaults.
    ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
    ...(process.env.THREAD_POOL_NICE ? { THREAD_POOL_NICE: process.env.THREAD_POOL_NICE } : {}),
  };
  const config = loadConfig(serverEnv);
  const nodeFlags = startFlags();
  log(`server: node ${nodeFlags.join(' ')}, argon2 ${JSON.stringify(config.argon2)}, thread pool ${JSON.stringify(config.threadPool)}`);
  const users = Array.from({ length: USERS }, (_, i) => `bench_user_${String(i).padStart(2, '0')}`);
  const starters = referenceStarters({ serverEnv, nodeFlags, tmp, users, secret });
  const references = {};
  const rssByPhase = {};
  const bench = {
    serverEnv,
    tmp,
    figures: [],
    notes: [],
    skipped: [],
    shared: {},
    /** Run at the end, also after Ctrl-C (a PostgreSQL database to drop). */
    cleanups: [],
    /** A reference process, started on first use. */
    async reference(name) {
      if (!references[name]) {
        references[name] = starters[name]();
        children.push((await references[name]).child);
        log(`reference ${name} up`);
      }
      return references[name];
    },
    /** The server as `npm start` runs it, with the bench environment plus `env`, in `cwd`. */
    async startServer(env, cwd) {
      const started = await startServer({ env: { ...serverEnv, ...env }, cwd, nodeArgs: nodeFlags });
      children.push(started.child);
      return started;
    },
    skip(section, reason) {
      log(`skipped ${section}: ${reason}`);
      bench.skipped.push({ section, reason });
    },
  };
  const cleanUp = () => Promise.all(bench.cleanups.map((cleanup) => cleanup()));
  // Interrupted (Ctrl-C, a CI timeout): take the children down too, and drop what was created elsewhere.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      for (const child of children) child.kill('SIGKILL');
      await Promise.race([cleanUp(), sleep(5000)]);
      rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  }

  try {
    // --- Startup: spawn → first 200 on /health, on a fresh database each time (migrations included).
    log(`machine: ${os.availableParallelism()} CPUs, ${cpuModel()}, node ${process.version}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; phases: ${[...sections].join(', ')}`);
    const startups = [];
    let server;
    let dir;
    for (let i = 0; i < RUNS; i += 1) {
      dir = mkdtempSync(path.join(tmp, 'server-'));
      const started = await bench.startServer({ DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}` }, dir);
      startups.push(started.startupMs);
      log(`startup ${i + 1}/${RUNS}: ${started.startupMs.toFixed(0)} ms`);
      if (i < RUNS - 1) await stop(started.child);
      else server = started; // the last one serves the whole run, so its peak RSS covers everything
    }
    const rss = watchRss(server.child.pid);
    bench.repeat = createRepeat({ watchPid: server.child.pid, rssByPhase });

    // --- Seed: users through the API, and one access token each.
    const { port } = server;
    await inParallel(users, 4, (username) => expectStatus(request(port, 'POST', '/auth/register', { username, password: PASSWORD }), 201, `register ${username}`));
    const pairs = await inParallel(users, 4, (username) =>
      expectStatus(request(port, 'POST', '/token', { grant_type: 'password', username, password: PASSWORD }), 200, `login ${username}`),
    );
    agent.destroy();
    bench.main = { port, dir, databaseUrl: `sqlite:${path.join(dir, 'auth.sqlite')}`, users, accessTokens: pairs.map((p) => p.access_token), refreshPool: [] };
    log(`seeded ${USERS} users`);

    for (const [name, phase] of Object.entries(PHASES)) if (sections.has(name)) await phase(bench);

    // --- Peak RSS of the main server over the whole run, and startup.
    const memory = rss.stop();
    bench.figures.push(
      {
        key: 'peak_rss',
        label: 'Server peak RSS (VmHWM), whole run',
        unit: 'MB',
        value: memory ? memory.hwm / 2 ** 20 : NaN,
        polledPeakMB: memory ? memory.polledPeak / 2 ** 20 : NaN,
        rssAfterPhaseMB: rssByPhase,
        target: { on: 'value', max: 150, text: '≤ 150 MB' },
      },
      { key: 'startup', label: 'Spawn → first 200 on /health', unit: 'ms', value: median(startups), samples: startups },
    );
    const settings = {
      runs: RUNS,
      seconds: SECONDS,
      warmupSeconds: WARMUP,
      phases: [...sections],
      connections: CONNECTIONS,
      users: USERS,
      fixedRate: FIXED_RATE,
      fixedRateLanes: FIXED_RATE_LANES,
      threadPool: config.threadPool,
      nodeFlags,
      argon2: config.argon2,
      nodeEnv: serverEnv.NODE_ENV,
      logLevel: serverEnv.LOG_LEVEL,
      ...(sections.has('large') ? { large: { users: LARGE_USERS, refreshTokens: LARGE_TOKENS } } : {}),
      ...(sections.has('postgres') ? { postgresAdminUrl: shown(ADMIN_URL) } : {}),
    };
    if (!report({ figures: bench.figures, notes: bench.notes, skipped: bench.skipped, settings, startedAt, loadBefore, out: OUT })) process.exitCode = 1;
  } finally {
    await Promise.all(children.map((child) => stop(child)));
    await cleanUp();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`bench failed: ${error.stack ?? error}`);
  process.exit(1);
});
