import { access, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Sizes libuv's thread pool and starts it now, with its threads (Linux) at `nice`
 * (lower CPU priority than the event loop's 0). Must run before anything queues
 * work on the pool. Returns the ids of the threads it started.
 *
 * Why the priority: an argon2 hash is ~25 ms of CPU on a pool thread. During a
 * burst of logins every core is hashing, and the event-loop thread would wait for
 * a core like any other thread, and every request with it, guarded routes
 * included. Niced, the pool still gets every cycle the event loop leaves (logins/s
 * do not change), but the loop gets a core as soon as it has work. On a host
 * shared with other busy processes the pool also yields to them: THREAD_POOL_NICE=0
 * turns this off.
 *
 * libuv creates every pool thread when the first job is queued, in the queueing
 * thread, so the threads that appear across that first call are exactly the pool.
 * Linux's setpriority() applies to one thread when given a thread id.
 */
export function startThreadPool({ size, nice }: { size: number; nice: number }): number[] {
  process.env.UV_THREADPOOL_SIZE = String(size);
  if (process.platform !== 'linux') return [];
  const before = new Set(readdirSync('/proc/self/task'));
  access('.', () => undefined); // the pool's first job
  const started = readdirSync('/proc/self/task').filter((tid) => !before.has(tid)).map(Number);
  for (const tid of nice > 0 ? started : []) {
    try {
      setPriority(tid, nice);
    } catch {
      // Not permitted in this sandbox: the pool keeps the normal priority.
    }
  }
  return started;
}
