'use strict';
/**
 * Child processes of the benchmark: the real server (spawned exactly as `npm start`
 * runs it) and the reference apps (forked, reporting over IPC).
 */
const { fork, spawn } = require('node:child_process');
const { readFileSync } = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const SERVER_ENTRY = path.join(ROOT, 'dist/server.js');

/** A port nobody listens on right now (the server is told its port; at warn it logs no "listening" line). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** One GET; resolves with the status code, or 0 when nothing answered. */
function getStatus(port, urlPath, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns `node [nodeArgs] dist/server.js` with exactly `env` (nothing inherited, and the
 * temp dir as cwd so no .env file of the checkout leaks in) and waits for the
 * first 200 from GET /health, polling every 5 ms. Resolves with the process and
 * the time from spawn to that 200.
 */
async function startServer({ env, cwd, nodeArgs = [], timeoutMs = 30_000 }) {
  const port = await freePort();
  const output = [];
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, SERVER_ENTRY], { cwd, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => {
    if (process.env.BENCH_SERVER_OUTPUT) require('node:fs').appendFileSync(process.env.BENCH_SERVER_OUTPUT, chunk);
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  while (performance.now() - startedAt < timeoutMs) {
    if (exited) break;
    if ((await getStatus(port, '/health')) === 200) {
      return { child, port, startupMs: performance.now() - startedAt, output };
    }
    await sleep(5);
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not answer 200 on /health (exit: ${JSON.stringify(exited)}):\n${output.join('')}`);
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

/** Forks a reference app and resolves with its first IPC message (which carries its port). */
function startReference(file, env, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, '../references', file), [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

module.exports = { ROOT, SERVER_ENTRY, startServer, stop, startReference, ask, watchRss, memoryOf, sleep };
