import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TEST_SECRET } from './app';

/**
 * Real server processes for the fault tests: `node dist/server.js` (what `npm start`
 * runs; jest's globalSetup builds dist/) on a free loopback port, with a fresh
 * SQLite file in a temp dir unless the test names another database. Every process
 * spawned here is remembered, so `killAllServers()` in afterAll leaves none behind.
 */

export const ROOT = path.resolve(__dirname, '../..');
export const SERVER_JS = path.join(ROOT, 'dist/server.js');

/** Cheap argon2 so load is write-bound, no rate limits, info logs (the tests read them). */
export const SERVER_ENV: Record<string, string> = {
  NODE_ENV: 'test',
  JWT_SECRET: TEST_SECRET,
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  AUTH_RATE_LIMIT: '0',
  LOGIN_FAILURE_LIMIT: '0',
  LOG_LEVEL: 'info',
};

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  port: number;
  pid: number;
  dir: string;
  dbFile: string;
  child: ChildProcess;
  /** Every JSON line the process wrote to stdout so far. */
  logs: LogLine[];
  stderr(): string;
  exited: Promise<Exit>;
  isRunning(): boolean;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Resolves with the exit, or rejects when the process outlives `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<Exit>;
  /** SIGKILL (if still running) and wait for the exit. */
  kill(): Promise<Exit>;
}

export interface StartOptions {
  /** Extra or overriding environment (DATABASE_URL, ARGON2_*, …). */
  env?: Record<string, string>;
  /** Reuse a directory (a restart on the same SQLite file); a new temp dir otherwise. */
  dir?: string;
  /** The script to run instead of dist/server.js (a wrapper that requires it). */
  script?: string;
  /** How long to wait for GET /health to answer 200. */
  readyTimeoutMs?: number;
}

const running = new Set<ServerProcess>();
const tempDirs = new Set<string>();

/** A fresh temp directory, removed by `removeTempDirs()`. */
export function makeTempDir(prefix = 'auth-fault-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A port nobody listens on right now (the kernel picks it; the tiny reuse race is acceptable on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The index of the request-log line that logged the answer to `method url` (-1 when there is none). */
export function indexOfRequestLog(logs: LogLine[], method: string, url: string): number {
  return logs.findIndex((line) => {
    const req = line.req as { method?: string; url?: string } | undefined;
    return req?.method === method && req.url === url && line.res !== undefined;
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Matches the "request received" line (LOG_LEVEL=debug) of `method url`. */
export const requestReceived = (method: string, url: string) => (line: LogLine) => {
  const req = line.req as { method?: string; url?: string } | undefined;
  return line.msg === 'request received' && req?.method === method && req.url === url;
};

/** Matches the line the server writes as it starts to shut down (server.ts), just before it closes its listener. */
export const shuttingDown = (line: LogLine) => /^shutting down/.test(line.msg);

/**
 * GET /health on a new connection, made once the server has logged that it is shutting
 * down. server.ts writes that line and closes its listening socket in one turn of its
 * event loop, the line first, so a connection made in between lands in the kernel's
 * listen backlog, is never accepted, and is reset when the socket closes. A reset
 * therefore proves the listener is gone, and the one retry after it meets the closed port.
 */
export async function callAfterShutdownBegan(port: number): Promise<Reply> {
  try {
    return await call(port, 'GET', '/health', { timeoutMs: 2000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    return call(port, 'GET', '/health', { timeoutMs: 2000 });
  }
}

/** Spawns the server and waits until /health answers 200. */
export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const server = await spawnServer(options);
  try {
    await waitForHealth(server, options.readyTimeoutMs ?? 15_000);
  } catch (error) {
    await server.kill();
    throw error;
  }
  return server;
}

/** Spawns the server without waiting for it to be ready. */
export async function spawnServer(options: StartOptions = {}): Promise<ServerProcess> {
  const dir = options.dir ?? makeTempDir();
  const dbFile = path.join(dir, 'auth.sqlite');
  const port = await freePort();
  // A clean environment: nothing from the test runner's own env leaks in, and cwd is the
  // temp dir so dotenv finds no project .env.
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...SERVER_ENV,
    DATABASE_URL: `sqlite:${dbFile}`,
    PORT: String(port),
    ...options.env,
  };
  const child = spawn(process.execPath, [options.script ?? SERVER_JS], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });

  const logs: LogLine[] = [];
  const waiters: Array<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 0, msg: text, notJson: true };
      }
      logs.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.match(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });

  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    // 'close', not 'exit': by then stdout is drained, so `logs` holds every line the process wrote.
    child.once('close', (code, signal) => {
      exit = { code, signal };
      running.delete(server);
      resolve(exit);
    });
  });

  const server: ServerProcess = {
    port,
    pid: child.pid!,
    dir,
    dbFile,
    child,
    logs,
    stderr: () => stderr,
    exited,
    isRunning: () => exit === undefined,
    waitForLog(match, timeoutMs = 10_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return withTimeout(
        new Promise<LogLine>((resolve) => waiters.push({ match, resolve })),
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
  };
  running.add(server);
  return server;
}

/** For afterAll/afterEach: SIGKILL whatever is still running. */
export async function killAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.kill()));
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function waitForHealth(server: ServerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!server.isRunning()) throw new Error(`server exited before it was ready: ${server.stderr()}`);
    const res = await call(server.port, 'GET', '/health', { timeoutMs: 1000 }).catch(() => null);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`server not healthy within ${timeoutMs} ms (last: ${res?.status}); stderr: ${server.stderr()}`);
    await sleep(50);
  }
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface CallOptions {
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** An http.Agent (keep-alive tests); a fresh connection per request otherwise. */
  agent?: http.Agent | false;
  timeoutMs?: number;
  onSocket?: (socket: net.Socket) => void;
  /**
   * Sends the headers at once and the body only when this resolves: a request the
   * server has begun (it logs "request received" at debug) but cannot finish before then.
   */
  bodyAfter?: Promise<unknown>;
}

/** One HTTP request to 127.0.0.1. Rejects on a network error or when no answer comes within `timeoutMs`. */
export function call(port: number, method: string, urlPath: string, options: CallOptions = {}): Promise<Reply> {
  let payload: string | undefined;
  const headers: Record<string, string> = { ...options.headers };
  if (options.json !== undefined) {
    payload = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.form) {
    payload = new URLSearchParams(options.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: urlPath, headers, agent: options.agent ?? false, timeout: options.timeoutMs ?? 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown = undefined;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    if (options.onSocket) req.on('socket', options.onSocket);
    if (options.bodyAfter) {
      req.flushHeaders();
      options.bodyAfter.then(() => req.end(payload), (error: unknown) => req.destroy(error as Error));
    } else {
      req.end(payload);
    }
  });
}
