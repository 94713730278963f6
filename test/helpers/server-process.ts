import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const SERVER_ENTRY = path.join(ROOT, 'dist/server.js');

export interface RunningServer {
  child: ChildProcess;
  url: string;
  lines: string[];
  stop(): Promise<number | null>;
}

/**
 * Starts `node dist/server.js` (what `npm start` runs, built by jest's globalSetup) with
 * only the given environment, and resolves once it logs the port it listens on.
 */
export function startServer(env: Record<string, string>, cwd: string, timeoutMs = 20_000): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      cwd,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${lines.join('\n')}`));
    }, timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        const port = /"port":(\d+)/.exec(line)?.[1];
        if (port && line.includes('listening')) {
          clearTimeout(timer);
          resolve({ child, url: `http://127.0.0.1:${port}`, lines, stop });
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => lines.push(chunk));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${lines.join('\n')}`));
    });
  });
}
