'use strict';
/** GET /protected on the server against (a) bare Express 5 and (b) the tutorial passport-jwt app, alternating. */
const { median } = require('../lib/load');
const { CONNECTIONS, guardedLoad } = require('../lib/scenarios');
const { SECONDS, WARMUP, assertMeasured, pick, total } = require('../lib/harness');

const REFERENCE_NAMES = { bare: '(a) bare Express 5', tutorial: '(b) tutorial passport-jwt' };

async function guardedPhase(bench) {
  const bare = await bench.reference('bare');
  const tutorial = await bench.reference('tutorial');
  const targets = [
    { name: 'server', port: bench.main.port, tokens: bench.main.accessTokens },
    { name: 'bare', port: bare.port, tokens: ['not-checked'] },
    { name: 'tutorial', port: tutorial.port, tokens: tutorial.tokens },
  ];
  for (const target of targets) assertMeasured(`warm-up ${target.name}`, await guardedLoad(target.port, target.tokens, WARMUP));
  const guarded = await bench.repeat('guarded', async () => {
    const round = {};
    for (const target of targets) round[target.name] = assertMeasured(`GET /protected on ${target.name}`, await guardedLoad(target.port, target.tokens, SECONDS));
    return round;
  });

  /** The server's median `field` against reference `ref`'s, in the same rounds. */
  const figure = (field, ref, extra = {}) => {
    const value = median(pick(guarded, 'server', field));
    const refValue = median(pick(guarded, ref, field));
    const p99 = field === 'p99';
    return {
      key: `guarded_${p99 ? 'p99' : 'rps'}_vs_${ref}`,
      label: `GET /protected${p99 ? ' p99' : ''}, ${CONNECTIONS} conn`,
      unit: p99 ? 'ms' : 'req/s',
      value,
      samples: pick(guarded, 'server', field),
      reference: { name: REFERENCE_NAMES[ref], value: refValue, samples: pick(guarded, ref, field) },
      ratio: value / refValue,
      ...extra,
    };
  };
  bench.figures.push(
    figure('perSecond', 'bare', { failures: total(guarded, 'server', 'failures'), target: { on: 'ratio', min: 0.75, text: '≥ 0.75× bare' } }),
    figure('perSecond', 'tutorial', { target: { on: 'ratio', min: 3, text: '≥ 3× tutorial' } }),
    figure('p99', 'bare'),
    figure('p99', 'tutorial'),
  );
}

module.exports = { guardedPhase };
