'use strict';
/**
 * What every phase of the benchmark shares: the knobs, the log, repeated runs,
 * settling a server between runs, and figures built from samples.
 */
const { readFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { agent, expectStatus, inParallel, request } = require('./api');
const { median } = require('./load');
const { PASSWORD } = require('./scenarios');
const { ROOT, memoryOf, sleep } = require('./processes');

const RUNS = Number(process.env.BENCH_RUNS) || 3;
const SECONDS = Number(process.env.BENCH_SECONDS) || 5;
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS) || 3;

/** The phases BENCH_ONLY may name, in the order they run. */
const SECTIONS = ['guarded', 'logins', 'rotations', 'registrations', 'p99', 'cluster', 'large', 'postgres', 'algorithms'];

/** BENCH_ONLY=large,postgres → those phases; unset → every phase. An unknown name stops the run before anything starts. */
function selectedSections(only = process.env.BENCH_ONLY) {
  if (!only || !only.trim()) return new Set(SECTIONS);
  const names = only.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !SECTIONS.includes(name));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown section ${unknown.join(', ')} (known: ${SECTIONS.join(', ')})`);
  return new Set(names);
}

const log = (message) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

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

function summary(sample) {
  const out = {};
  for (const [key, value] of Object.entries(sample)) {
    if (typeof value === 'number') out[key] = Math.round(value * 100) / 100;
    else if (value && typeof value === 'object' && typeof value.perSecond === 'number') out[key] = summary({ perSecond: value.perSecond, p99: value.p99, failures: value.failures });
  }
  return out;
}

/**
 * Runs `measure` RUNS times and keeps every sample (an object of load results by
 * side). After the last run, the RSS of `watchPid` (the main server) is noted under
 * `label`, unless the phase leaves the main server idle (`mainServer: false`).
 */
function createRepeat({ watchPid, rssByPhase }) {
  return async function repeat(label, measure, { mainServer = true } = {}) {
    const samples = [];
    for (let i = 0; i < RUNS; i += 1) {
      samples.push(await measure(i));
      log(`${label} run ${i + 1}/${RUNS}: ${JSON.stringify(summary(samples[i]))}`);
    }
    if (watchPid && mainServer) rssByPhase[label] = memoryOf(watchPid)?.rss / 2 ** 20;
    return samples;
  };
}

/** Every sample's `field` of side `name`. */
const pick = (samples, name, field) => samples.map((s) => s[name][field]);
const total = (samples, name, field) => pick(samples, name, field).reduce((a, b) => a + b, 0);

/**
 * Waits until a server has worked off what an earlier run left queued (logins keep
 * hashing after autocannon stops): a login waits for its turn to hash behind every
 * hash already queued, so its answer comes once the queue ahead of it is empty. The
 * server answers an unknown user (401) after a dummy hash; the peer reference, which
 * hashes only for known users, gets a real login (`login`: 200).
 */
async function settle(port, login) {
  const body = login ?? { username: 'bench_settle_nobody', password: 'not the password' };
  await expectStatus(request(port, 'POST', '/token', body), login ? 200 : 401, 'settle');
  agent.destroy();
  await sleep(250);
}

function assertMeasured(what, result) {
  if (!result || result.ok === 0) throw new Error(`${what}: no successful response, nothing to measure (${JSON.stringify(result?.statusCodes)})`);
  return result;
}

/**
 * Logs in (spread over `users`, a few at a time) until `pool` holds `needed` refresh
 * tokens to rotate: each rotation run uses up one per connection, and a failed
 * rotation takes another. One request at a time per lane, not an autocannon run: on
 * a busy machine a login can take longer than a short run, whose answers are then lost.
 */
async function fillRefreshPool(port, users, pool, needed) {
  const missing = Array.from({ length: Math.max(0, needed - pool.length) }, (_, i) => users[i % users.length]);
  await inParallel(missing, 4, async (username) => {
    const pair = await expectStatus(request(port, 'POST', '/token', { grant_type: 'password', username, password: PASSWORD }), 200, `login ${username}`);
    pool.push(pair.refresh_token);
  });
  agent.destroy();
}

/**
 * A figure comparing the server's samples with a reference's: medians, ratio
 * server/reference. `reference` is {name, samples} (measured alongside) or
 * {name, value} (a figure measured elsewhere in the run).
 */
function versus({ samples, reference, ...figure }) {
  const value = median(samples);
  const refValue = reference.samples ? median(reference.samples) : reference.value;
  return { ...figure, value, samples, reference: { ...reference, value: refValue }, ratio: value / refValue };
}

function cpuModel() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  } catch {
    return os.cpus()[0]?.model;
  }
}

module.exports = {
  RUNS,
  SECONDS,
  WARMUP,
  SECTIONS,
  selectedSections,
  log,
  startFlags,
  createRepeat,
  pick,
  total,
  settle,
  assertMeasured,
  fillRefreshPool,
  versus,
  cpuModel,
};
