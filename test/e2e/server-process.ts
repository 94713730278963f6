import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ServerProcess {
  /** http://localhost:<port> */
  url: string;
  port: number;
  /** The fresh SQLite file this server uses. */
  dbFile: string;
  /** The last log lines, for a failing test's message. */
  recentLogs(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/server.js` (what `npm start` runs; jest's globalSetup built it)
 * on a port the OS picks, over a fresh SQLite file in a temporary folder, and
 * resolves once its "listening" log line names the port. Cheap argon2 (NODE_ENV=test)
 * unless `env` says otherwise.
 */
export async function startServer(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'auth-e2e-'));
  const dbFile = path.join(dir, 'auth.sqlite');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js')], {
    cwd: dir, // no .env file here: the server sees exactly this environment
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: '0',
      DATABASE_URL: `sqlite:${dbFile}`,
      JWT_SECRET: randomBytes(48).toString('base64url'),
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  const logs: string[] = [];
  const remember = (line: string) => {
    logs.push(line);
    if (logs.length > 40) logs.shift();
  };
  // Both pipes are drained for the server's whole life, or a chatty log would block it.
  createInterface({ input: child.stderr! }).on('line', remember);
  const lines = createInterface({ input: child.stdout! });

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${logs.join('\n')}`)), START_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`));
    });
    lines.on('line', (line) => {
      remember(line);
      try {
        const entry = JSON.parse(line) as { port?: number; msg?: string };
        if (typeof entry.port === 'number' && entry.msg?.startsWith('listening')) {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        // not JSON: keep it for the failure message only
      }
    });
  });

  return {
    url: `http://localhost:${port}`,
    port,
    dbFile,
    recentLogs: () => logs.join('\n'),
    stop: () => stopProcess(child).finally(() => rmSync(dir, { recursive: true, force: true })),
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
