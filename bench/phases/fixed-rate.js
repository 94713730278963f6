'use strict';
/** GET /protected p99 at a fixed rate, alone and while logins saturate the CPU; alternating. */
const { median } = require('../lib/load');
const { FIXED_RATE, fixedRateLoad, loginLoad } = require('../lib/scenarios');
const { sleep } = require('../lib/processes');
const { format } = require('../lib/report');
const { SECONDS, WARMUP, assertMeasured, pick, settle, total } = require('../lib/harness');

async function fixedRatePhase(bench) {
  const { port, users, accessTokens } = bench.main;
  assertMeasured('warm-up fixed rate', await fixedRateLoad(port, accessTokens, Math.min(WARMUP, 2)));
  await settle(port);
  const fixed = await bench.repeat('fixed-rate p99', async () => {
    await settle(port);
    const alone = assertMeasured('fixed rate alone', await fixedRateLoad(port, accessTokens, SECONDS));
    const saturating = loginLoad(port, users, { seconds: SECONDS + 3 });
    await sleep(1000); // let the login queue fill the hash pool first
    const loaded = assertMeasured('fixed rate under logins', await fixedRateLoad(port, accessTokens, SECONDS));
    const loginsMeanwhile = await saturating;
    return { alone, loaded, logins: loginsMeanwhile };
  });
  const p99Alone = median(pick(fixed, 'alone', 'p99'));
  const p99Loaded = median(pick(fixed, 'loaded', 'p99'));
  const achievedRate = median(pick(fixed, 'loaded', 'perSecond'));
  bench.figures.push({
    key: 'p99_under_logins',
    label: `GET /protected p99 @${FIXED_RATE}/s under login load`,
    unit: 'ms',
    value: p99Loaded,
    samples: pick(fixed, 'loaded', 'p99'),
    achievedRate,
    loginsMeanwhile: median(pick(fixed, 'logins', 'perSecond')),
    failures: total(fixed, 'loaded', 'failures'),
    reference: { name: `same p99 @${FIXED_RATE}/s alone`, value: p99Alone, samples: pick(fixed, 'alone', 'p99'), achievedRate: median(pick(fixed, 'alone', 'perSecond')) },
    ratio: p99Loaded / p99Alone,
    target: { on: 'ratio', max: 2, text: '≤ 2× alone' },
  });
  bench.notes.push(`fixed rate achieved ${format(achievedRate, 'req/s')} under load`);
}

module.exports = { fixedRatePhase };
