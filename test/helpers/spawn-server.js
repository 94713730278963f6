// @ts-check
'use strict';
/**
 * The built server as a child process: `node [flags] dist/server.js`, what `npm start`
 * runs, on a free loopback port, with exactly the environment it is given, its output
 * collected, ready once GET /health answers 200.
 *
 * One module for both of its users: the tests' helper (server-process.ts, which adds
 * test defaults, temp dirs and an HTTP client) and the benchmark (bench/lib/processes.js).
 * It is plain CommonJS because the benchmark runs under plain node against dist/, with no
 * TypeScript at run time; its JSDoc types are checked by `npm run typecheck` (tsconfig.json
 * has allowJs, and this file opts in with @ts-check), so the tests import it fully typed.
 */
const { spawn } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const SERVER_JS = path.join(ROOT, 'dist/server.js');

/** @typedef {{ level: number; msg: string; [key: string]: unknown }} LogLine */
/** @typedef {{ code: number | null; signal: NodeJS.Signals | null }} Exit */

/**
 * @typedef {object} SpawnOptions
 * @property {Record<string, string>} env The whole environment (nothing is inherited), PORT aside.
 * @property {string} cwd Where it runs; a directory without a .env file, so dotenv reads none.
 * @property {string[]} [nodeArgs] Node flags before the script (the benchmark passes `npm start`'s).
 * @property {string} [script] The script to run instead of dist/server.js (a wrapper that requires it).
 * @property {number} [keepLines] Keep only the last this many stdout lines (a long benchmark run); all of them by default.
 * @property {(chunk: string) => void} [onOutput] Also handed every chunk of stdout and stderr (the benchmark copies them to a file).
 */

/**
 * @typedef {object} ServerChild
 * @property {number} port
 * @property {number} pid
 * @property {string} dir The working directory (SpawnOptions.cwd).
 * @property {import('node:child_process').ChildProcess} child
 * @property {LogLine[]} logs Every stdout line so far, parsed as JSON where it is (the server logs JSON lines).
 * @property {() => string} stderr
 * @property {Promise<Exit>} exited Resolves once the process has exited and its output is drained.
 * @property {() => boolean} isRunning
 * @property {(match: (line: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>} waitForLog
 * @property {(timeoutMs: number) => Promise<Exit>} waitForExit Resolves with the exit, or rejects when the process outlives `timeoutMs`.
 * @property {() => Promise<Exit>} kill SIGKILL (if still running) and wait for the exit.
 * @property {number} spawnedAt performance.now() at the spawn (the benchmark measures startup from it).
 */

/**
 * Every process spawned here and still running, so `killAllServers()` can leave none behind.
 * @type {Set<ServerChild>}
 */
const running = new Set();

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A port nobody listens on right now (the kernel picks it; the tiny reuse race is acceptable on loopback).
 * @returns {Promise<number>}
 */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Spawns the server without waiting for it to be ready.
 * @param {SpawnOptions} options
 * @returns {Promise<ServerChild>}
 */
async function spawnServer({ env, cwd, nodeArgs = [], script = SERVER_JS, keepLines = Infinity, onOutput }) {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });

  /** @type {LogLine[]} */
  const logs = [];
  /** @type {Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>} */
  const waiters = [];
  let pending = '';
  /** @param {string} text */
  function collect(text) {
    /** @type {LogLine} */
    let line;
    try {
      line = JSON.parse(text);
    } catch {
      line = { level: 0, msg: text, notJson: true };
    }
    logs.push(line);
    if (logs.length > keepLines) logs.shift();
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
  /** @type {import('node:stream').Readable} */ (child.stdout).setEncoding('utf8').on('data', (/** @type {string} */ chunk) => {
    onOutput?.(chunk);
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      collect(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  });
  let stderr = '';
  /** @type {import('node:stream').Readable} */ (child.stderr).setEncoding('utf8').on('data', (/** @type {string} */ chunk) => {
    onOutput?.(chunk);
    stderr += chunk;
  });

  /** @type {Exit | undefined} */
  let exit;
  /** @type {Promise<Exit>} */
  const exited = new Promise((resolve) => {
    // 'close', not 'exit': by then stdout is drained, so `logs` holds every line the process wrote.
    child.once('close', (code, signal) => {
      exit = { code, signal };
      running.delete(server);
      resolve(exit);
    });
  });

  /** @type {ServerChild} */
  const server = {
    port,
    pid: /** @type {number} */ (child.pid),
    dir: cwd,
    child,
    logs,
    stderr: () => stderr,
    exited,
    isRunning: () => exit === undefined,
    waitForLog(match, timeoutMs = 10_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return withTimeout(
        new Promise((resolve) => waiters.push({ match, resolve })),
        timeoutMs,
        () => `no matching log line within ${timeoutMs} ms; stderr: ${stderr}`,
      );
    },
    waitForExit: (timeoutMs) => withTimeout(exited, timeoutMs, () => `pid ${child.pid} still running after ${timeoutMs} ms`),
    async kill() {
      if (exit) return exit;
      child.kill('SIGKILL');
      return exited;
    },
    spawnedAt,
  };
  running.add(server);
  return server;
}

/**
 * Polls GET /health every `intervalMs` until it answers 200;
 * rejects when the process exits first or `timeoutMs` passes, with what it wrote.
 * @param {ServerChild} server
 * @param {{ timeoutMs: number; intervalMs?: number }} options
 * @returns {Promise<void>}
 */
async function waitForHealth(server, { timeoutMs, intervalMs = 50 }) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!server.isRunning()) throw new Error(`server exited before it was ready (${JSON.stringify(await server.exited)}); ${lastWords(server)}`);
    const status = await healthStatus(server.port);
    if (status === 200) return;
    if (performance.now() > deadline) throw new Error(`server not healthy within ${timeoutMs} ms (last status: ${status || 'no answer'}); ${lastWords(server)}`);
    await sleep(intervalMs);
  }
}

/**
 * Spawns the server and waits until /health answers 200; kills it if it does not.
 * @param {SpawnOptions & { readyTimeoutMs: number; pollMs?: number }} options
 * @returns {Promise<ServerChild>}
 */
async function startServer(options) {
  const server = await spawnServer(options);
  try {
    await waitForHealth(server, { timeoutMs: options.readyTimeoutMs, intervalMs: options.pollMs });
  } catch (error) {
    await server.kill();
    throw error;
  }
  return server;
}

/** For afterAll/afterEach or an interrupted run: SIGKILL whatever is still running. */
async function killAllServers() {
  await Promise.all([...running].map((server) => server.kill()));
}

/**
 * One GET /health on a fresh connection: the status, or 0 when nothing answered within a second.
 * @param {number} port
 * @returns {Promise<number>}
 */
function healthStatus(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * The process's stderr and last stdout lines, for an error message.
 * @param {ServerChild} server
 */
function lastWords(server) {
  const lines = server.logs.slice(-20).map((line) => JSON.stringify(line));
  return `stderr: ${server.stderr() || '(empty)'}\nlast stdout lines:\n${lines.join('\n')}`;
}

/**
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {() => string} message
 * @returns {Promise<T>}
 */
function withTimeout(promise, ms, message) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<never>} */
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

module.exports = { ROOT, SERVER_JS, freePort, spawnServer, waitForHealth, startServer, killAllServers, sleep };
