'use strict';
/** POST /token/refresh on the main server: every request presents a fresh refresh token. */
const { median } = require('../lib/load');
const { CONNECTIONS, rotationLoad } = require('../lib/scenarios');
const { RUNS, SECONDS, WARMUP, assertMeasured, fillRefreshPool, log, pick, settle, total } = require('../lib/harness');

async function rotationsPhase(bench) {
  const { port, users, refreshPool } = bench.main;
  await fillRefreshPool(port, users, refreshPool, CONNECTIONS * (RUNS + 1) * 2);
  log(`refresh tokens to rotate: ${refreshPool.length}`);
  await settle(port);
  assertMeasured('warm-up rotations', await rotationLoad(port, refreshPool, WARMUP));
  const rotations = await bench.repeat('rotations', async () => {
    await settle(port);
    return { server: assertMeasured('POST /token/refresh', await rotationLoad(port, refreshPool, SECONDS)) };
  });
  const failures = total(rotations, 'server', 'failures');
  bench.figures.push({
    key: 'rotations',
    label: `POST /token/refresh rotations, ${CONNECTIONS} conn`,
    unit: '/s',
    value: median(pick(rotations, 'server', 'perSecond')),
    samples: pick(rotations, 'server', 'perSecond'),
    failures,
    p99: median(pick(rotations, 'server', 'p99')),
    statusCodes: rotations.map((r) => r.server.statusCodes),
    target: { on: 'value', min: 500, maxFailures: 0, text: '≥ 500/s, 0 errors' },
  });
  bench.notes.push(`rotation errors: ${failures}`);
}

module.exports = { rotationsPhase };
