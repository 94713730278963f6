import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TEST_SECRET } from './app';
import * as spawning from './spawn-server';
import type { LogLine, ServerChild } from './spawn-server';

/**
 * Real server processes for the fault tests: `node dist/server.js` (what `npm start`
 * runs; jest's globalSetup builds dist/) on a free loopback port, with a fresh
 * SQLite file in a temp dir unless the test names another database. Spawning, output
 * and readiness live in spawn-server.js, shared with the benchmark; this file adds the
 * tests' defaults, temp dirs and an HTTP client. Every process spawned is remembered,
 * so `killAllServers()` in afterAll leaves none behind.
 */

export { ROOT, SERVER_JS, freePort, killAllServers, sleep } from './spawn-server';
export type { Exit, LogLine } from './spawn-server';

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

export interface ServerProcess extends ServerChild {
  /** The SQLite file DATABASE_URL names unless the test gave another. */
  dbFile: string;
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

/** The index of the request-log line that logged the answer to `method url` (-1 when there is none). */
export function indexOfRequestLog(logs: LogLine[], method: string, url: string): number {
  return logs.findIndex((line) => {
    const req = line.req as { method?: string; url?: string } | undefined;
    return req?.method === method && req.url === url && line.res !== undefined;
  });
}

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

/** Spawns the server and waits until /health answers 200 (killing it when it does not). */
export async function startServer(options: StartOptions = {}): Promise<ServerProcess> {
  const { spawn, dbFile } = prepare(options);
  return Object.assign(await spawning.startServer({ ...spawn, readyTimeoutMs: options.readyTimeoutMs ?? 15_000 }), { dbFile });
}

/** Spawns the server without waiting for it to be ready. */
export async function spawnServer(options: StartOptions = {}): Promise<ServerProcess> {
  const { spawn, dbFile } = prepare(options);
  return Object.assign(await spawning.spawnServer(spawn), { dbFile });
}

export const waitForHealth = (server: ServerChild, timeoutMs: number): Promise<void> => spawning.waitForHealth(server, { timeoutMs });

function prepare(options: StartOptions): { spawn: spawning.SpawnOptions; dbFile: string } {
  const dir = options.dir ?? makeTempDir();
  const dbFile = path.join(dir, 'auth.sqlite');
  // A clean environment: nothing from the test runner's own env leaks in, and cwd is the
  // temp dir so dotenv finds no project .env.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...SERVER_ENV, DATABASE_URL: `sqlite:${dbFile}`, ...options.env };
  return { spawn: { env, cwd: dir, script: options.script }, dbFile };
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
