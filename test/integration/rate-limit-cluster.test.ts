import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../helpers/server-process';

/**
 * Workers of one `npm start` (a Node cluster) without REDIS_URL share their rate-limit
 * counts through the primary (app/cluster/rate-limit-primary.ts). The fixture is a real
 * cluster: a primary calling shareRateLimitsFromPrimary() and two workers with the real
 * limiters (test/fixtures/rate-limit-cluster.js, on dist/). Each request opens a new
 * connection, so the primary hands them to the workers in turn.
 */
const FIXTURE = path.join(ROOT, 'test/fixtures/rate-limit-cluster.js');
const LIMIT = 4;

interface Answer {
  status: number;
  worker: string;
}

interface Cluster {
  port: number;
  child: ChildProcess;
  /** What the primary and the workers wrote to stderr: the stores' warnings would land there. */
  stderr(): string;
}

async function startCluster(env: Record<string, string> = {}): Promise<Cluster> {
  const child = spawn(process.execPath, [FIXTURE], { env: { PATH: process.env.PATH, LIMIT: String(LIMIT), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { port: (JSON.parse(line) as { port: number }).port, child, stderr: () => stderr };
}

async function stopCluster({ child }: Cluster): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** One POST on a connection of its own (no keep-alive), so the cluster picks a worker for it. */
function post(port: number, urlPath: string, body: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path: urlPath, method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, worker: String(res.headers['x-worker']) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('rate limits in a Node cluster without Redis', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster();
  });
  afterAll(() => stopCluster(cluster));

  it('counts per IP across both workers: the limit+1-th request is 429, whichever worker takes it', async () => {
    const allowed: Answer[] = [];
    for (let i = 0; i < LIMIT; i += 1) allowed.push(await post(cluster.port, '/attempt', { password: 'right' }));
    expect(allowed.map((answer) => answer.status)).toEqual(Array(LIMIT).fill(200));
    expect(new Set(allowed.map((answer) => answer.worker)).size).toBe(2);

    const refused = [await post(cluster.port, '/attempt', { password: 'right' }), await post(cluster.port, '/attempt', { password: 'right' })];
    expect(refused.map((answer) => answer.status)).toEqual([429, 429]);
    expect(new Set(refused.map((answer) => answer.worker)).size).toBe(2);
    expect(cluster.stderr()).toBe('');
  });

  it('counts failed logins per account across both workers, and gives back the successful ones', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 3; i += 1) answers.push(await post(cluster.port, '/login', { username: 'alice', password: 'right' }));
    for (let i = 0; i < LIMIT; i += 1) answers.push(await post(cluster.port, '/login', { username: 'alice', password: 'wrong' }));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, ...Array(LIMIT).fill(401)]);
    expect(new Set(answers.map((answer) => answer.worker)).size).toBe(2);
    expect((await post(cluster.port, '/login', { username: 'alice', password: 'right' })).status).toBe(429);
    expect((await post(cluster.port, '/login', { username: 'alice', password: 'right' })).status).toBe(429);
    expect((await post(cluster.port, '/login', { username: 'bob', password: 'right' })).status).toBe(200);
    // Two limiters share the account store: each worker must hear each of the primary's answers once.
    expect(cluster.stderr()).toBe('');
  });
});

describe('a cluster whose primary does not call shareRateLimitsFromPrimary()', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ SHARE: '0' });
  });
  afterAll(() => stopCluster(cluster));

  it('fails limited requests (500) instead of serving them unlimited, so the missing call shows at once', async () => {
    expect((await post(cluster.port, '/attempt', { password: 'right' })).status).toBe(500);
  });
});
