'use strict';
/**
 * `npm run bench`: the server against its ceilings, in one run, on this machine.
 *
 * Processes: the real server (`node dist/server.js`, production mode, a fresh
 * SQLite file in a temp dir, logging at warn) and three references, each its own
 * process: (a) bare Express 5, (b) the tutorial passport-jwt + Sequelize app,
 * (c) a raw argon2id verify loop with the server's parameters. Load comes from
 * autocannon in this process. Every figure is measured RUNS times after a warm-up
 * and the median is quoted; runs of the server and of its reference alternate so
 * noise from a shared machine falls on both sides of a ratio.
 *
 * Prints one table and writes bench/results/latest.json. Exits non-zero only when
 * something could not be measured; a missed target is for people to read.
 *
 * Knobs (env): BENCH_RUNS (3), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (3),
 * UV_THREADPOOL_SIZE (given to the server and to the argon2 reference alike),
 * BENCH_OUT (the JSON file).
 */
const { randomBytes } = require('node:crypto');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { expectStatus, inParallel, request, agent } = require('./lib/api');
const { median } = require('./lib/load');
const { CONNECTIONS, FIXED_RATE, FIXED_RATE_LANES, PASSWORD, fixedRateLoad, guardedLoad, loginLoad, registrationLoad, rotationLoad } = require('./lib/scenarios');
const { ROOT, SERVER_ENTRY, ask, memoryOf, sleep, startReference, startServer, stop, watchRss } = require('./lib/processes');
const { format, table, verdict, writeJson } = require('./lib/report');

const RUNS = Number(process.env.BENCH_RUNS) || 3;
const SECONDS = Number(process.env.BENCH_SECONDS) || 5;
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS) || 3;
const USERS = 50; // one per connection, so guarded requests spread over many users
const OUT = process.env.BENCH_OUT || path.join(ROOT, 'bench/results/latest.json');

/**
 * The node flags `npm start` gives the server (package.json), so the benchmark runs
 * the server exactly as it is started: `node <flags> dist/server.js`.
 */
function startFlags() {
  const start = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  const match = /^node((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/server\.js$/.exec(start);
  if (!match) throw new Error(`package.json "start" is not "node [flags] dist/server.js": ${start}`);
  return match[1].trim().split(/\s+/).filter(Boolean);
}

const log = (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Runs `measure` RUNS times and keeps every sample; `pick` names the number a sample contributes. */
async function repeat(label, measure) {
  const samples = [];
  for (let i = 0; i < RUNS; i += 1) {
    samples.push(await measure(i));
    log(`${label} run ${i + 1}/${RUNS}: ${JSON.stringify(summary(samples[i]))}`);
  }
  if (serverPid) rssByPhase[label] = memoryOf(serverPid)?.rss / 2 ** 20;
  return samples;
}
let serverPid = null;
const rssByPhase = {};

function summary(sample) {
  const out = {};
  for (const [key, value] of Object.entries(sample)) {
    if (typeof value === 'number') out[key] = Math.round(value * 100) / 100;
    else if (value && typeof value === 'object' && typeof value.perSecond === 'number') out[key] = summary({ perSecond: value.perSecond, p99: value.p99, failures: value.failures });
  }
  return out;
}

/**
 * Waits until the server has worked off what an earlier run left queued (logins
 * keep hashing after autocannon stops): a login waits for its turn to hash behind
 * every hash already queued, so its answer (401: no such user) comes once the queue
 * ahead of it is empty.
 */
async function settle(port) {
  await expectStatus(request(port, 'POST', '/token', { username: 'bench_settle_nobody', password: 'not the password' }), 401, 'settle');
  agent.destroy();
  await sleep(250);
}

function assertMeasured(what, result) {
  if (!result || result.ok === 0) throw new Error(`${what}: no successful response, nothing to measure (${JSON.stringify(result?.statusCodes)})`);
  return result;
}

function cpuModel() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  } catch {
    return os.cpus()[0]?.model;
  }
}

async function main() {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first (npm run bench does)`);
  const startedAt = Date.now();
  const loadBefore = os.loadavg();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'auth-bench-'));
  const children = [];
  const secret = randomBytes(36).toString('base64url'); // 48 bytes
  const serverEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT: '0', // one client IP sends everything here
    LOGIN_FAILURE_LIMIT: '0',
    // UV_THREADPOOL_SIZE only when set here: otherwise the server (and the argon2 reference) pick their default.
    ...(process.env.UV_THREADPOOL_SIZE ? { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE } : {}),
  };
  const nodeFlags = startFlags();
  const figures = [];
  // Interrupted (Ctrl-C, a CI timeout): take the children down too.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      for (const child of children) child.kill('SIGKILL');
      rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  }

  try {
    // --- Startup: spawn → first 200 on /health, on a fresh database each time (migrations included).
    log(`machine: ${os.availableParallelism()} CPUs, ${cpuModel()}, node ${process.version}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
    const startups = [];
    let server;
    for (let i = 0; i < RUNS; i += 1) {
      const dir = mkdtempSync(path.join(tmp, 'server-'));
      const started = await startServer({ env: { ...serverEnv, DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}` }, cwd: dir, nodeArgs: nodeFlags });
      children.push(started.child);
      startups.push(started.startupMs);
      log(`startup ${i + 1}/${RUNS}: ${started.startupMs.toFixed(0)} ms`);
      if (i < RUNS - 1) await stop(started.child);
      else server = started; // the last one serves the whole run, so its peak RSS covers everything
    }
    const rss = watchRss(server.child.pid);
    serverPid = server.child.pid;
    const port = server.port;

    // --- References, each its own process.
    const bare = await startReference('bare-express.js', { PATH: process.env.PATH, NODE_ENV: 'production' });
    children.push(bare.child);
    const tutorial = await startReference('tutorial-passport.js', {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      BENCH_TUTORIAL_DB: path.join(tmp, 'tutorial.sqlite'),
      BENCH_USERS: String(USERS),
      BENCH_SECRET: secret,
    });
    children.push(tutorial.child);
    const ceiling = await startReference('argon2-ceiling.js', serverEnv);
    children.push(ceiling.child);
    log(`references up; argon2 ${JSON.stringify(ceiling.params)}, UV_THREADPOOL_SIZE=${ceiling.poolSize}`);

    // --- Seed: users through the API, and one access token each.
    const users = Array.from({ length: USERS }, (_, i) => `bench_user_${String(i).padStart(2, '0')}`);
    await inParallel(users, 4, (username) => expectStatus(request(port, 'POST', '/auth/register', { username, password: PASSWORD }), 201, `register ${username}`));
    const pairs = await inParallel(users, 4, (username) =>
      expectStatus(request(port, 'POST', '/token', { grant_type: 'password', username, password: PASSWORD }), 200, `login ${username}`),
    );
    const accessTokens = pairs.map((p) => p.access_token);
    agent.destroy();
    log(`seeded ${USERS} users`);

    // --- Guarded route: server, bare Express, tutorial; alternating.
    const guardedTargets = [
      { name: 'server', port, tokens: accessTokens },
      { name: 'bare', port: bare.port, tokens: ['not-checked'] },
      { name: 'tutorial', port: tutorial.port, tokens: tutorial.tokens },
    ];
    for (const target of guardedTargets) assertMeasured(`warm-up ${target.name}`, await guardedLoad(target.port, target.tokens, WARMUP));
    const guarded = await repeat('guarded', async () => {
      const round = {};
      for (const target of guardedTargets) round[target.name] = assertMeasured(`GET /protected on ${target.name}`, await guardedLoad(target.port, target.tokens, SECONDS));
      return round;
    });
    const pick = (samples, name, field) => samples.map((s) => s[name][field]);
    const guardedFailures = pick(guarded, 'server', 'failures').reduce((a, b) => a + b, 0);
    /** A guarded-route figure: the server's median `field` against reference `ref`'s, in the same rounds. */
    const guardedFigure = (field, ref, extra = {}) => {
      const value = median(pick(guarded, 'server', field));
      const refValue = median(pick(guarded, ref, field));
      const p99 = field === 'p99';
      return {
        key: `guarded_${p99 ? 'p99' : 'rps'}_vs_${ref}`,
        label: `GET /protected${p99 ? ' p99' : ''}, ${CONNECTIONS} conn`,
        unit: p99 ? 'ms' : 'req/s',
        value,
        samples: pick(guarded, 'server', field),
        reference: { name: { bare: '(a) bare Express 5', tutorial: '(b) tutorial passport-jwt' }[ref], value: refValue, samples: pick(guarded, ref, field) },
        ratio: value / refValue,
        ...extra,
      };
    };
    figures.push(
      guardedFigure('perSecond', 'bare', { failures: guardedFailures, target: { on: 'ratio', min: 0.75, text: '≥ 0.75× bare' } }),
      guardedFigure('perSecond', 'tutorial', { target: { on: 'ratio', min: 3, text: '≥ 3× tutorial' } }),
      guardedFigure('p99', 'bare'),
      guardedFigure('p99', 'tutorial'),
    );

    // --- Logins against the raw argon2 ceiling, alternating. Logins also fill the refresh-token pool.
    const refreshPool = [];
    await loginLoad(port, users, { seconds: WARMUP, pool: refreshPool }); // a slow box may finish none in the warm-up: only measured runs must
    await ask(ceiling.child, { measure: Math.min(WARMUP, 2) });
    const logins = await repeat('logins', async () => {
      await settle(port);
      const server = assertMeasured('POST /token', await loginLoad(port, users, { seconds: SECONDS, pool: refreshPool }));
      await settle(port);
      return { server, ceiling: { perSecond: (await ask(ceiling.child, { measure: SECONDS })).ops } };
    });
    const loginRps = median(pick(logins, 'server', 'perSecond'));
    const ceilingOps = median(pick(logins, 'ceiling', 'perSecond'));
    figures.push({
      key: 'logins',
      label: 'POST /token logins',
      unit: '/s',
      value: loginRps,
      samples: pick(logins, 'server', 'perSecond'),
      failures: pick(logins, 'server', 'failures').reduce((a, b) => a + b, 0),
      p99: median(pick(logins, 'server', 'p99')),
      reference: { name: '(c) raw argon2id verify', value: ceilingOps, samples: pick(logins, 'ceiling', 'perSecond') },
      ratio: loginRps / ceilingOps,
      target: { on: 'ratio', min: 0.9, text: '≥ 0.9× argon2' },
    });

    // --- Rotations: every request presents a fresh refresh token.
    for (let topUps = 0; refreshPool.length < CONNECTIONS * (RUNS + 1) * 2; topUps += 1) {
      if (topUps === 10) throw new Error(`logins gave only ${refreshPool.length} refresh tokens to rotate`);
      await loginLoad(port, users, { seconds: 2, pool: refreshPool });
    }
    log(`refresh tokens to rotate: ${refreshPool.length}`);
    await settle(port);
    assertMeasured('warm-up rotations', await rotationLoad(port, refreshPool, WARMUP));
    const rotations = await repeat('rotations', async () => {
      await settle(port);
      return { server: assertMeasured('POST /token/refresh', await rotationLoad(port, refreshPool, SECONDS)) };
    });
    const rotationFailures = pick(rotations, 'server', 'failures').reduce((a, b) => a + b, 0);
    figures.push({
      key: 'rotations',
      label: `POST /token/refresh rotations, ${CONNECTIONS} conn`,
      unit: '/s',
      value: median(pick(rotations, 'server', 'perSecond')),
      samples: pick(rotations, 'server', 'perSecond'),
      failures: rotationFailures,
      p99: median(pick(rotations, 'server', 'p99')),
      statusCodes: rotations.map((r) => r.server.statusCodes),
      target: { on: 'value', min: 500, maxFailures: 0, text: '≥ 500/s, 0 errors' },
    });

    // --- Registrations (one argon2id hash each; the verify ceiling is the nearest reference).
    assertMeasured('warm-up registrations', await registrationLoad(port, WARMUP));
    const registers = await repeat('registrations', async () => {
      await settle(port);
      return { server: assertMeasured('POST /auth/register', await registrationLoad(port, SECONDS)) };
    });
    const registerRps = median(pick(registers, 'server', 'perSecond'));
    figures.push({
      key: 'registrations',
      label: 'POST /auth/register',
      unit: '/s',
      value: registerRps,
      samples: pick(registers, 'server', 'perSecond'),
      failures: pick(registers, 'server', 'failures').reduce((a, b) => a + b, 0),
      reference: { name: '(c) raw argon2id verify', value: ceilingOps },
      ratio: registerRps / ceilingOps,
    });

    // --- Guarded p99 at a fixed rate, alone and while logins saturate the CPU; alternating.
    assertMeasured('warm-up fixed rate', await fixedRateLoad(port, accessTokens, Math.min(WARMUP, 2)));
    await settle(port);
    const fixed = await repeat('fixed-rate p99', async () => {
      await settle(port);
      const alone = assertMeasured('fixed rate alone', await fixedRateLoad(port, accessTokens, SECONDS));
      const saturating = loginLoad(port, users, { seconds: SECONDS + 3 });
      await sleep(1000); // let the login queue fill the hash pool first
      const loaded = assertMeasured('fixed rate under logins', await fixedRateLoad(port, accessTokens, SECONDS));
      const loginsMeanwhile = await saturating;
      return { alone, loaded, logins: loginsMeanwhile };
    });
    const p99Alone = median(pick(fixed, 'alone', 'p99'));
    const p99Loaded = median(pick(fixed, 'loaded', 'p99'));
    figures.push({
      key: 'p99_under_logins',
      label: `GET /protected p99 @${FIXED_RATE}/s under login load`,
      unit: 'ms',
      value: p99Loaded,
      samples: pick(fixed, 'loaded', 'p99'),
      achievedRate: median(pick(fixed, 'loaded', 'perSecond')),
      loginsMeanwhile: median(pick(fixed, 'logins', 'perSecond')),
      failures: pick(fixed, 'loaded', 'failures').reduce((a, b) => a + b, 0),
      reference: { name: `same p99 @${FIXED_RATE}/s alone`, value: p99Alone, samples: pick(fixed, 'alone', 'p99'), achievedRate: median(pick(fixed, 'alone', 'perSecond')) },
      ratio: p99Loaded / p99Alone,
      target: { on: 'ratio', max: 2, text: '≤ 2× alone' },
    });

    // --- Peak RSS of the server over the whole run, and startup.
    const memory = rss.stop();
    figures.push({
      key: 'peak_rss',
      label: 'Server peak RSS (VmHWM), whole run',
      unit: 'MB',
      value: memory ? memory.hwm / 2 ** 20 : NaN,
      polledPeakMB: memory ? memory.polledPeak / 2 ** 20 : NaN,
      rssAfterPhaseMB: rssByPhase,
      target: { on: 'value', max: 150, text: '≤ 150 MB' },
    });
    figures.push({
      key: 'startup',
      label: 'Spawn → first 200 on /health',
      unit: 'ms',
      value: median(startups),
      samples: startups,
    });

    const result = {
      date: new Date().toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt) / 1000),
      machine: {
        nproc: os.availableParallelism(),
        cpu: cpuModel(),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        memoryGB: Math.round(os.totalmem() / 2 ** 30),
        loadavgBefore: loadBefore,
        loadavgAfter: os.loadavg(),
      },
      settings: {
        runs: RUNS,
        seconds: SECONDS,
        warmupSeconds: WARMUP,
        connections: CONNECTIONS,
        users: USERS,
        fixedRate: FIXED_RATE,
        fixedRateLanes: FIXED_RATE_LANES,
        uvThreadpoolSize: ceiling.poolSize,
        nodeFlags,
        argon2: ceiling.params,
        nodeEnv: serverEnv.NODE_ENV,
        logLevel: serverEnv.LOG_LEVEL,
      },
      figures: figures.map((f) => ({ ...f, met: verdict(f) })),
    };
    const unmeasured = figures.filter((f) => f.value === null || Number.isNaN(f.value) || (f.reference && Number.isNaN(f.reference.value)));

    console.log(`\n${table(figures)}\n`);
    console.log(
      `${result.machine.nproc} CPUs (${result.machine.cpu}), node ${result.machine.node}; median of ${RUNS} runs of ${SECONDS}s after ${WARMUP}s warm-up; ` +
        `load average before/after: ${loadBefore[0].toFixed(2)}/${result.machine.loadavgAfter[0].toFixed(2)}; took ${result.durationSeconds}s`,
    );
    console.log(`server RSS after each phase (MB): ${Object.entries(rssByPhase).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
    console.log(`rotation errors: ${rotationFailures}; fixed rate achieved ${format(result.figures.find((f) => f.key === 'p99_under_logins').achievedRate, 'req/s')} under load`);
    writeJson(OUT, result);
    console.log(`written: ${path.relative(process.cwd(), OUT)}`);
    if (unmeasured.length > 0) {
      console.error(`could not measure: ${unmeasured.map((f) => f.key).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(children.map((child) => stop(child)));
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`bench failed: ${error.stack ?? error}`);
  process.exit(1);
});
