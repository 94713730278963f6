'use strict';
/**
 * Reference (c): the login ceiling. A raw argon2id verify loop with the server's
 * own parameters, as many hashes at once as the server runs (ARGON2_CONCURRENCY,
 * the CPUs by default) and the same pool priority, read through the server's own
 * config loader from the same environment and started by the same code, so they
 * cannot drift. The pool here has exactly one thread per concurrent hash (a larger
 * pool, were the server given one, would only slow this loop), and it is kept full.
 * Nothing else runs here: no HTTP, no database, so this is the most verifications
 * per second the hash allows.
 *
 * IPC: the parent sends {measure: seconds}; the child answers {ops, seconds}.
 */
const os = require('node:os');
const argon2 = require('argon2');
const { loadConfig } = require('../../dist/config');
const { startThreadPool } = require('../../dist/app/thread-pool');

const PASSWORD = 'correct horse battery staple';

async function main() {
  const config = loadConfig(process.env);
  const params = config.argon2;
  const poolSize = config.threadPool.hashConcurrency;
  startThreadPool({ ...config.threadPool, size: poolSize }); // as server.ts does, without the database thread
  const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...params });

  async function measure(seconds) {
    let done = 0;
    let stopping = false;
    const startedAt = process.hrtime.bigint();
    // Two verifications in flight per pool thread, so a thread never waits for the next job.
    const lanes = Array.from({ length: poolSize * 2 }, async () => {
      while (!stopping) {
        if (!(await argon2.verify(hash, PASSWORD))) throw new Error('verify failed');
        if (!stopping) done += 1;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    stopping = true;
    const elapsed = Number(process.hrtime.bigint() - startedAt) / 1e9;
    await Promise.all(lanes);
    return { ops: done / elapsed, seconds: elapsed };
  }

  process.on('message', (message) => {
    measure(message.measure).then((result) => process.send(result), (error) => process.send({ error: String(error) }));
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true, params, poolSize, cpus: os.availableParallelism() });
}

main().catch((error) => {
  process.send?.({ error: String(error) });
  process.exit(1);
});
