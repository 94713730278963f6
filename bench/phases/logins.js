'use strict';
/**
 * POST /token logins against (d) the minimal peer login (the target) and (c) the raw
 * argon2id verify loop (the hash alone), alternating. Logins also fill the main
 * server's pool of refresh tokens for the rotations.
 */
const { median } = require('../lib/load');
const { PASSWORD, loginLoad } = require('../lib/scenarios');
const { ask } = require('../lib/processes');
const { SECONDS, WARMUP, assertMeasured, pick, settle, total, versus } = require('../lib/harness');

async function loginsPhase(bench) {
  const { port, users, refreshPool } = bench.main;
  const ceiling = await bench.reference('ceiling');
  const peer = await bench.reference('peer');
  const peerSettle = { username: users[0], password: PASSWORD };

  // A slow box may finish no login in a warm-up: only measured runs must.
  await loginLoad(port, users, { seconds: WARMUP, pool: refreshPool });
  await settle(port);
  await loginLoad(peer.port, users, { seconds: WARMUP });
  await settle(peer.port, peerSettle);
  await ask(ceiling.child, { measure: Math.min(WARMUP, 2) });
  const logins = await bench.repeat('logins', async () => {
    await settle(port);
    const server = assertMeasured('POST /token', await loginLoad(port, users, { seconds: SECONDS, pool: refreshPool }));
    await settle(port);
    const argon2Loop = { perSecond: (await ask(ceiling.child, { measure: SECONDS })).ops };
    const peerRun = assertMeasured('POST /token on the peer', await loginLoad(peer.port, users, { seconds: SECONDS }));
    await settle(peer.port, peerSettle);
    return { server, ceiling: argon2Loop, peer: peerRun };
  });

  const samples = pick(logins, 'server', 'perSecond');
  bench.shared.ceilingOps = median(pick(logins, 'ceiling', 'perSecond'));
  bench.figures.push(
    versus({
      key: 'logins',
      label: 'POST /token logins',
      unit: '/s',
      samples,
      failures: total(logins, 'server', 'failures'),
      p99: median(pick(logins, 'server', 'p99')),
      reference: { name: '(d) minimal peer login', samples: pick(logins, 'peer', 'perSecond'), failures: total(logins, 'peer', 'failures'), p99: median(pick(logins, 'peer', 'p99')) },
      target: { on: 'ratio', min: 0.9, text: '≥ 0.9× peer' },
    }),
    versus({ key: 'logins_vs_argon2', label: 'POST /token logins', unit: '/s', samples, reference: { name: '(c) raw argon2id verify', samples: pick(logins, 'ceiling', 'perSecond') } }),
  );
}

module.exports = { loginsPhase };
