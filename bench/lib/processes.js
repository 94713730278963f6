'use strict';
/**
 * Child processes of the benchmark: the real server (spawned exactly as `npm start`
 * runs it, through the module the tests use too) and the reference apps (forked,
 * reporting over IPC).
 */
const { fork } = require('node:child_process');
const { appendFileSync, readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');
const spawning = require('../../test/helpers/spawn-server');

const { ROOT, SERVER_JS: SERVER_ENTRY, sleep } = spawning;

/**
 * Spawns `node [nodeArgs] dist/server.js` with exactly `env` (nothing inherited; `cwd`
 * a temp dir, so no .env file of the checkout leaks in) and waits for the first 200
 * from GET /health, polling every 5 ms. Resolves with the process and the time from
 * spawn to that 200. BENCH_SERVER_OUTPUT names a file to copy the server's output to.
 */
async function startServer({ env, cwd, nodeArgs = [], timeoutMs = 30_000 }) {
  const copyTo = process.env.BENCH_SERVER_OUTPUT;
  const server = await spawning.startServer({
    env,
    cwd,
    nodeArgs,
    readyTimeoutMs: timeoutMs,
    pollMs: 5,
    // At LOG_LEVEL=warn the server writes little, but a run lasts minutes: keep the tail only (for error messages).
    keepLines: 50,
    onOutput: copyTo ? (chunk) => appendFileSync(copyTo, chunk) : undefined,
  });
  return { child: server.child, port: server.port, startupMs: performance.now() - server.spawnedAt };
}

/** SIGTERM, then SIGKILL if it has not gone after `graceMs`. */
function stop(child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Forks a reference app (with `execArgv`, node flags) and resolves with its first IPC message (which carries its port). */
function startReference(file, env, { execArgv = [], timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, '../references', file), [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => reject(new Error(`${file} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      if (message.error) reject(new Error(`${file}: ${message.error}`));
      else resolve({ child, ...message });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with code ${code} before it was ready`)));
  });
}

/** Sends one IPC request to a reference and resolves with its answer. */
function ask(child, message) {
  return new Promise((resolve, reject) => {
    child.once('message', (answer) => (answer.error ? reject(new Error(answer.error)) : resolve(answer)));
    child.send(message);
  });
}

/** kB fields of /proc/<pid>/status (Linux): VmRSS now, VmHWM the peak resident set since the process began. */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return null;
  }
}

/**
 * CPU time `pid` has used so far, user + system, all its threads, in ms (Linux:
 * /proc/<pid>/stat, in clock ticks of 1/100 s, USER_HZ on every Linux port that
 * matters); NaN when it cannot be read.
 */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime: fields 14 and 15 of proc(5)
  } catch {
    return NaN;
  }
}

/**
 * `pid` and every process below it (Linux: /proc/<pid>/task/<tid>/children), so a
 * server that forks workers (WEB_CONCURRENCY) is found whole, whatever their number.
 */
function processTree(pid) {
  const found = [pid];
  for (let i = 0; i < found.length; i += 1) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${found[i]}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const tid of tasks) {
      try {
        found.push(...readFileSync(`/proc/${found[i]}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
      } catch {
        // a thread that ended meanwhile
      }
    }
  }
  return found;
}

/**
 * Waits until the process tree under `pid` has stopped changing for `quietMs` (the
 * workers a server forks after its first answer), at most `timeoutMs`; resolves
 * with its pids. Asks nothing of how many there should be.
 */
async function settledTree(pid, { quietMs = 1000, timeoutMs = 15_000, pollMs = 50 } = {}) {
  const deadline = performance.now() + timeoutMs;
  let pids = processTree(pid);
  let since = performance.now();
  while (performance.now() - since < quietMs && performance.now() < deadline) {
    await sleep(pollMs);
    const now = processTree(pid);
    if (now.join() !== pids.join()) {
      pids = now;
      since = performance.now();
    }
  }
  return pids;
}

/** Polls VmRSS every `intervalMs` and keeps the highest value seen. */
function watchRss(pid, intervalMs = 100) {
  let peak = 0;
  const timer = setInterval(() => {
    const memory = memoryOf(pid);
    if (memory && memory.rss > peak) peak = memory.rss;
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const memory = memoryOf(pid);
      return memory ? { polledPeak: Math.max(peak, memory.rss), hwm: memory.hwm } : null;
    },
  };
}

module.exports = { ROOT, SERVER_ENTRY, startServer, stop, startReference, ask, watchRss, memoryOf, cpuMsOf, processTree, settledTree, sleep };
