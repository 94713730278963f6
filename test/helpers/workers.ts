import http from 'node:http';
import { call, LogLine, Reply } from './server-process';
import type { ServerChild } from './spawn-server';

/**
 * Requests pinned to one worker of a cluster: a keep-alive agent holding a single
 * connection, which the primary handed to one worker for good. Which one is read
 * from the server's debug log ("request received" carries the worker's pid).
 */
export interface PinnedClient {
  pid: number;
  agent: http.Agent;
  get(path: string, token: string): Promise<Reply>;
  post(path: string, token: string, json: unknown): Promise<Reply>;
}

let probes = 0;

async function workerOf(server: ServerChild, agent: http.Agent): Promise<number> {
  probes += 1;
  const url = `/health?probe=${probes}`;
  await call(server.port, 'GET', url, { agent });
  const line = await server.waitForLog((l: LogLine) => l.msg === 'request received' && (l.req as { url?: string } | undefined)?.url === url);
  return line.pid as number;
}

/** One client per worker, until `count` distinct workers are covered. */
export async function clientPerWorker(server: ServerChild, count: number): Promise<PinnedClient[]> {
  const clients = new Map<number, PinnedClient>();
  for (let attempt = 0; clients.size < count; attempt += 1) {
    if (attempt > 20 * count) throw new Error(`could not reach ${count} distinct workers`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const pid = await workerOf(server, agent);
    if (clients.has(pid)) {
      agent.destroy();
      continue;
    }
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    clients.set(pid, {
      pid,
      agent,
      get: (path, token) => call(server.port, 'GET', path, { agent, headers: auth(token) }),
      post: (path, token, json) => call(server.port, 'POST', path, { agent, headers: auth(token), json }),
    });
  }
  return [...clients.values()];
}

/** Polls `probe` until it answers `status`; resolves with the milliseconds that took, rejects past `withinMs`. */
export async function msUntilStatus(probe: () => Promise<Reply>, status: number, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const reply = await probe();
    const elapsed = performance.now() - started;
    if (reply.status === status) return elapsed;
    if (elapsed > withinMs) throw new Error(`still ${reply.status} (${JSON.stringify(reply.body)}) after ${Math.round(elapsed)} ms`);
  }
}
