import { readdirSync, readFileSync } from 'node:fs';
import { killAllServers, removeTempDirs, startServer } from '../helpers/server-process';

/** The nice value of every thread of a process (Linux /proc), keyed by thread id. */
function niceOfThreads(pid: number): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    nice.set(Number(tid), Number(fields[16])); // field 19 of stat, counted after the command name
  }
  return nice;
}

const niced = (pid: number, nice: number) => [...niceOfThreads(pid).values()].filter((n) => n === nice).length;

/** app/thread-pool.ts on the real server process: pool size and priority as configured. */
(process.platform === 'linux' ? describe : describe.skip)('the libuv thread pool of the real server', () => {
  afterAll(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it('has UV_THREADPOOL_SIZE threads, all at THREAD_POOL_NICE, below the event loop', async () => {
    const server = await startServer({ env: { UV_THREADPOOL_SIZE: '3', THREAD_POOL_NICE: '10' } });
    expect(niced(server.pid, 10)).toBe(3);
    expect(niceOfThreads(server.pid).get(server.pid)).toBe(0); // the event loop
  });

  it('leaves every thread at normal priority with THREAD_POOL_NICE=0 (the default outside production)', async () => {
    const server = await startServer({ env: { UV_THREADPOOL_SIZE: '3' } });
    expect([...niceOfThreads(server.pid).values()].every((n) => n === 0)).toBe(true);
  });
});
