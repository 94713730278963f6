'use strict';
/** POST /auth/register: one argon2id hash each; the verify loop (c) is the nearest reference. */
const { median } = require('../lib/load');
const { registrationLoad } = require('../lib/scenarios');
const { ask } = require('../lib/processes');
const { SECONDS, WARMUP, assertMeasured, pick, settle, total } = require('../lib/harness');

async function registrationsPhase(bench) {
  const { port } = bench.main;
  if (bench.shared.ceilingOps === undefined) {
    // The logins phase did not run (BENCH_ONLY): measure the loop once here.
    const ceiling = await bench.reference('ceiling');
    await ask(ceiling.child, { measure: Math.min(WARMUP, 2) });
    bench.shared.ceilingOps = (await ask(ceiling.child, { measure: SECONDS })).ops;
  }
  await registrationLoad(port, WARMUP); // a slow box may finish none in a short warm-up: only measured runs must
  const registers = await bench.repeat('registrations', async () => {
    await settle(port);
    return { server: assertMeasured('POST /auth/register', await registrationLoad(port, SECONDS)) };
  });
  const value = median(pick(registers, 'server', 'perSecond'));
  bench.figures.push({
    key: 'registrations',
    label: 'POST /auth/register',
    unit: '/s',
    value,
    samples: pick(registers, 'server', 'perSecond'),
    failures: total(registers, 'server', 'failures'),
    reference: { name: '(c) raw argon2id verify', value: bench.shared.ceilingOps },
    ratio: value / bench.shared.ceilingOps,
  });
}

module.exports = { registrationsPhase };
