'use strict';
/**
 * GET /protected with WEB_CONCURRENCY=2 against the main server (one process),
 * alternating. The second server opens the main server's database file (the same
 * users; this route only reads) and gets the same environment but WEB_CONCURRENCY.
 * Its processes are found from its pid (its workers are its children), never from
 * the count asked for: a server that ignores WEB_CONCURRENCY shows one process and
 * a ratio near 1. No target: on two cores, with the load generator on the same
 * cores, a second worker has no core of its own to run on.
 */
const { median } = require('../lib/load');
const { CONNECTIONS, guardedLoad } = require('../lib/scenarios');
const { memoryOf, settledTree, stop } = require('../lib/processes');
const { SECONDS, WARMUP, assertMeasured, log, pick, total, versus } = require('../lib/harness');

async function clusterPhase(bench) {
  const { port, accessTokens, databaseUrl, dir } = bench.main;
  const two = await bench.startServer({ DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '2' }, dir);
  try {
    const pids = await settledTree(two.child.pid);
    log(`WEB_CONCURRENCY=2: ${pids.length} process(es), pids ${pids.join(' ')}, port ${two.port}`);
    assertMeasured('warm-up WEB_CONCURRENCY=2', await guardedLoad(two.port, accessTokens, WARMUP));
    const rounds = await bench.repeat('WEB_CONCURRENCY', async () => ({
      one: assertMeasured('GET /protected, one process', await guardedLoad(port, accessTokens, SECONDS)),
      two: assertMeasured('GET /protected, WEB_CONCURRENCY=2', await guardedLoad(two.port, accessTokens, SECONDS)),
    }));
    const rssMB = pids.reduce((sum, pid) => sum + (memoryOf(pid)?.rss ?? 0), 0) / 2 ** 20;
    bench.figures.push(
      versus({
        key: 'guarded_web_concurrency_2',
        label: `GET /protected, ${CONNECTIONS} conn, WEB_CONCURRENCY=2`,
        unit: 'req/s',
        samples: pick(rounds, 'two', 'perSecond'),
        failures: total(rounds, 'two', 'failures'),
        p99: median(pick(rounds, 'two', 'p99')),
        processes: pids.length,
        rssMB,
        reference: { name: 'same, one process', samples: pick(rounds, 'one', 'perSecond') },
        note: 'none: 2 cores + load gen., expect ~1×',
      }),
    );
  } finally {
    await stop(two.child);
  }
}

module.exports = { clusterPhase };
