'use strict';
/**
 * The server on PostgreSQL: logins (against (d) the peer login, alternating) and
 * rotations, on a fresh database the bench creates and drops. Skipped, with one
 * line saying why, when PostgreSQL cannot be reached.
 */
const { mkdtempSync } = require('node:fs');
const path = require('node:path');
const { agent, expectStatus, inParallel, request } = require('../lib/api');
const { median } = require('../lib/load');
const { ADMIN_URL, createDatabase, shown } = require('../lib/postgres');
const { CONNECTIONS, PASSWORD, loginLoad, rotationLoad } = require('../lib/scenarios');
const { stop } = require('../lib/processes');
const { RUNS, SECONDS, WARMUP, assertMeasured, fillRefreshPool, log, pick, settle, total, versus } = require('../lib/harness');

async function postgresPhase(bench) {
  let database;
  try {
    database = await createDatabase();
  } catch (error) {
    bench.skip('postgres', `PostgreSQL is not reachable at ${shown(ADMIN_URL)} (${error.message}); set BENCH_POSTGRES_URL to an admin URL to measure it`);
    return;
  }
  log(`PostgreSQL database ${database.name} created on ${shown(ADMIN_URL)}`);
  const dropDatabase = () => database.drop().catch((error) => log(`could not drop ${database.name}: ${error.message}`));
  bench.cleanups.push(dropDatabase);
  let server;
  try {
    server = await bench.startServer({ DATABASE_URL: database.url }, mkdtempSync(path.join(bench.tmp, 'postgres-')));
    const { port } = server;
    const { users } = bench.main;
    await inParallel(users, 4, (username) => expectStatus(request(port, 'POST', '/auth/register', { username, password: PASSWORD }), 201, `register ${username} (PostgreSQL)`));
    agent.destroy();
    const peer = await bench.reference('peer');
    const peerSettle = { username: users[0], password: PASSWORD };
    const pool = [];

    await loginLoad(port, users, { seconds: WARMUP, pool });
    await settle(port);
    await loginLoad(peer.port, users, { seconds: WARMUP });
    await settle(peer.port, peerSettle);
    const logins = await bench.repeat('postgres logins', async () => {
      const server = assertMeasured('POST /token on PostgreSQL', await loginLoad(port, users, { seconds: SECONDS, pool }));
      await settle(port);
      const peerRun = assertMeasured('POST /token on the peer', await loginLoad(peer.port, users, { seconds: SECONDS }));
      await settle(peer.port, peerSettle);
      return { server, peer: peerRun };
    }, { mainServer: false });

    await fillRefreshPool(port, users, pool, CONNECTIONS * (RUNS + 1) * 2);
    await settle(port);
    assertMeasured('warm-up rotations on PostgreSQL', await rotationLoad(port, pool, WARMUP));
    const rotations = await bench.repeat('postgres rotations', async () => ({
      server: assertMeasured('POST /token/refresh on PostgreSQL', await rotationLoad(port, pool, SECONDS)),
    }), { mainServer: false });

    bench.figures.push(
      versus({
        key: 'postgres_logins',
        label: 'POST /token logins, PostgreSQL',
        unit: '/s',
        samples: pick(logins, 'server', 'perSecond'),
        failures: total(logins, 'server', 'failures'),
        p99: median(pick(logins, 'server', 'p99')),
        reference: { name: '(d) minimal peer login', samples: pick(logins, 'peer', 'perSecond') },
      }),
      {
        key: 'postgres_rotations',
        label: `POST /token/refresh rotations, ${CONNECTIONS} conn, PostgreSQL`,
        unit: '/s',
        value: median(pick(rotations, 'server', 'perSecond')),
        samples: pick(rotations, 'server', 'perSecond'),
        failures: total(rotations, 'server', 'failures'),
        p99: median(pick(rotations, 'server', 'p99')),
        statusCodes: rotations.map((r) => r.server.statusCodes),
        target: { on: 'value', min: 1000, maxFailures: 0, text: '≥ 1,000/s, 0 errors' },
      },
    );
  } finally {
    if (server) await stop(server.child);
    await dropDatabase();
    bench.cleanups.splice(bench.cleanups.indexOf(dropDatabase), 1);
  }
}

module.exports = { postgresPhase };
