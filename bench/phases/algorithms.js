'use strict';
/**
 * Access-token signing algorithms (issue 12): GET /protected, the guarded phase's
 * scenario, on three servers started as the main one but with JWT_ALGORITHM HS256,
 * ES256 and EdDSA, each on a fresh SQLite file of its own (the asymmetric ones
 * with their first keys made by `node dist/cli/keys.js rotate`, as an operator
 * would), alternating. Target: ES256 and EdDSA within 10 % of HS256.
 *
 * A token presented again skips the signature check (the access-token service's
 * cache of 10,000 verified tokens), so the same route is also measured with a new
 * token on every request, drawn in turn from a pool of twice that many, signed
 * beforehand with each server's own keys (lib/signed-tokens.js): the cost the
 * cache avoids. Reported, no target. Beside requests per second, each run notes
 * the server's CPU time per request, steadier on a shared machine. The servers'
 * peak RSS (VmHWM) is read after the reused-token runs and again after the
 * new-token runs, which fill the cache.
 */
const { execFile } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync } = require('node:fs');
const path = require('node:path');
const { promisify } = require('node:util');
const { agent, expectStatus, inParallel, request } = require('../lib/api');
const { median } = require('../lib/load');
const { CONNECTIONS, PASSWORD, guardedLoad, guardedNewTokenLoad } = require('../lib/scenarios');
const { ROOT, cpuMsOf, memoryOf, stop, watchRss } = require('../lib/processes');
const { decodeJwtPart, signTokens } = require('../lib/signed-tokens');
const { SECONDS, WARMUP, assertMeasured, log, pick, total, versus } = require('../lib/harness');

const ALGORITHMS = ['HS256', 'ES256', 'EdDSA'];
const BASELINE = 'HS256';
/** Twice the access-token service's cache of verified tokens (app/services/access-token.service.ts). */
const NEW_TOKEN_POOL = 20_000;
const KEYS_CLI = path.join(ROOT, 'dist/cli/keys.js');
const runFile = promisify(execFile);

/** The first keys, made as an operator makes them (`npm run keys -- rotate`): without them the server does not start in production. */
async function makeFirstKeys(env, cwd) {
  try {
    const { stdout } = await runFile(process.execPath, [KEYS_CLI, 'rotate'], { env, cwd, timeout: 60_000 });
    log(`keys (${env.JWT_ALGORITHM}): ${stdout.trim().replace(/\n/g, '; ')}`);
  } catch (error) {
    throw new Error(`npm run keys -- rotate (${env.JWT_ALGORITHM}) failed: ${error.stderr?.trim() || error.message}`);
  }
}

/** A server with JWT_ALGORITHM=`alg` on a fresh database, its users registered and logged in through the API. */
async function startAlgorithmServer(bench, alg, keyEncryptionSecret) {
  const dir = mkdtempSync(path.join(bench.tmp, `${alg.toLowerCase()}-`));
  const env = { DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}`, JWT_ALGORITHM: alg, KEY_ENCRYPTION_SECRET: keyEncryptionSecret };
  if (alg !== 'HS256') await makeFirstKeys({ ...bench.serverEnv, ...env }, dir);
  const server = await bench.startServer(env, dir);
  const rss = watchRss(server.child.pid);
  const { users } = bench.main;
  await inParallel(users, 4, (username) => expectStatus(request(server.port, 'POST', '/auth/register', { username, password: PASSWORD }), 201, `register ${username} (${alg})`));
  const pairs = await inParallel(users, 4, (username) =>
    expectStatus(request(server.port, 'POST', '/token', { grant_type: 'password', username, password: PASSWORD }), 200, `login ${username} (${alg})`),
  );
  agent.destroy();
  const tokens = pairs.map((pair) => pair.access_token);
  // A server that ignored JWT_ALGORITHM would show a ratio of 1 and pass: check what it signs with.
  const signedWith = decodeJwtPart(tokens[0], 0).alg;
  if (signedWith !== alg) throw new Error(`the server started with JWT_ALGORITHM=${alg} signs its access tokens with ${signedWith}`);
  const started = performance.now();
  const pool = { tokens: await signTokens({ env: { ...bench.serverEnv, ...env }, port: server.port, issued: tokens, count: NEW_TOKEN_POOL }), next: 0 };
  log(`${alg} server up on port ${server.port}; ${NEW_TOKEN_POOL} tokens signed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { alg, server, rss, tokens, pool };
}

/**
 * One run of `load` on a side's server, with the server's CPU time per answered
 * request (µs, every thread): the cost of a request on its own, which a machine
 * shared with other work disturbs far less than requests per second.
 */
async function measured(what, side, load) {
  const before = cpuMsOf(side.server.child.pid);
  const result = assertMeasured(what, await load());
  const answered = result.ok + result.failures;
  return { ...result, cpuUsPerRequest: ((cpuMsOf(side.server.child.pid) - before) * 1000) / answered };
}

async function algorithmsPhase(bench) {
  const keyEncryptionSecret = randomBytes(36).toString('base64url'); // 48 bytes, one for the run
  const sides = [];
  try {
    for (const alg of ALGORITHMS) sides.push(await startAlgorithmServer(bench, alg, keyEncryptionSecret));
    for (const side of sides) assertMeasured(`warm-up ${side.alg}`, await guardedLoad(side.server.port, side.tokens, WARMUP));
    const fresh = (alg) => `${alg}, new token each request`;
    const reused = await bench.repeat(
      'algorithms: reused tokens',
      async () => {
        const round = {};
        for (const side of sides) round[side.alg] = await measured(`GET /protected, ${side.alg}`, side, () => guardedLoad(side.server.port, side.tokens, SECONDS));
        return round;
      },
      { mainServer: false },
    );
    const peakReusedMB = Object.fromEntries(sides.map((side) => [side.alg, memoryOf(side.server.child.pid)?.hwm / 2 ** 20]));
    // After the reused tokens, so their peak RSS is known apart from that of a full cache.
    const renewed = await bench.repeat(
      'algorithms: new token each request',
      async () => {
        const round = {};
        for (const side of sides) round[fresh(side.alg)] = await measured(`GET /protected, ${fresh(side.alg)}`, side, () => guardedNewTokenLoad(side.server.port, side.pool, SECONDS));
        return round;
      },
      { mainServer: false },
    );
    const peakRssMB = Object.fromEntries(sides.map((side) => [side.alg, (side.rss.stop()?.hwm ?? NaN) / 2 ** 20]));
    const rounds = reused.map((round, i) => ({ ...round, ...renewed[i] }));
    const cpuUs = (name) => median(pick(rounds, name, 'cpuUsPerRequest'));
    const mb = (value) => value.toFixed(1);
    bench.notes.push(
      `algorithms: server CPU per request (µs, all threads), reused / new token: ${ALGORITHMS.map((alg) => `${alg} ${cpuUs(alg).toFixed(0)} / ${cpuUs(fresh(alg)).toFixed(0)}`).join(', ')}`,
      `algorithms: servers' peak RSS (MB), reused tokens / after the new-token runs (cache full): ${ALGORITHMS.map((alg) => `${alg} ${mb(peakReusedMB[alg])} / ${mb(peakRssMB[alg])}`).join(', ')}`,
    );

    /** Side `name`'s median req/s against the baseline's side `baseline`, in the same rounds. */
    const figure = ({ key, name, baseline, ...extra }) =>
      versus({
        key,
        label: `GET /protected, ${CONNECTIONS} conn, ${name}`,
        unit: 'req/s',
        samples: pick(rounds, name, 'perSecond'),
        failures: total(rounds, name, 'failures'),
        p99: median(pick(rounds, name, 'p99')),
        cpuUsPerRequest: cpuUs(name),
        peakReusedMB,
        peakRssMB,
        reference: { name: `same, ${baseline}`, samples: pick(rounds, baseline, 'perSecond'), p99: median(pick(rounds, baseline, 'p99')), cpuUsPerRequest: cpuUs(baseline) },
        ...extra,
      });
    const asymmetric = ALGORITHMS.filter((alg) => alg !== BASELINE);
    bench.figures.push(
      ...asymmetric.map((alg) => figure({ key: `algorithms_${alg.toLowerCase()}`, name: alg, baseline: BASELINE, target: { on: 'ratio', min: 0.9, text: `≥ 0.9× ${BASELINE}` } })),
      ...asymmetric.map((alg) =>
        figure({
          key: `algorithms_${alg.toLowerCase()}_new_token`,
          name: fresh(alg),
          baseline: fresh(BASELINE),
          // What the cache buys this algorithm: the same route with the token seen before, in the same rounds.
          versusSameToken: median(pick(rounds, fresh(alg), 'perSecond')) / median(pick(rounds, alg, 'perSecond')),
          baselineVersusSameToken: median(pick(rounds, fresh(BASELINE), 'perSecond')) / median(pick(rounds, BASELINE, 'perSecond')),
          note: 'none: the cost the cache avoids',
        }),
      ),
      {
        key: 'algorithms_peak_rss_es256_reused',
        label: 'ES256 server peak RSS (VmHWM), reused tokens',
        unit: 'MB',
        value: peakReusedMB.ES256,
        target: { on: 'value', max: 150, text: '≤ 150 MB' },
      },
      {
        key: 'algorithms_peak_rss_es256',
        label: 'ES256 server peak RSS (VmHWM), + new tokens',
        unit: 'MB',
        value: peakRssMB.ES256,
        target: { on: 'value', max: 150, text: '≤ 150 MB' },
      },
    );
  } finally {
    await Promise.all(sides.map((side) => stop(side.server.child)));
  }
}

module.exports = { algorithmsPhase };
