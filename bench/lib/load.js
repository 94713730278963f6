'use strict';
/**
 * autocannon as a library, plus what its results lack: exact latencies
 * (autocannon's histogram has 1 ms buckets, too coarse for a p99 of a few ms),
 * and successful responses per second rather than all responses.
 */
const autocannon = require('autocannon');

/** The `q` quantile of an unsorted list (nearest rank). */
function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * One autocannon run. Resolves with:
 *  ok/s      2xx responses per second of run time
 *  p50, p99  of the 2xx responses' latencies, in ms, from every response
 *  failures  non-2xx responses + connection errors + timeouts
 */
function load(options) {
  return new Promise((resolve, reject) => {
    const latencies = [];
    // Latencies are taken as measured: autocannon's coordinated-omission correction assumes a 1 ms interval whatever the rate.
    const rated = options.overallRate !== undefined || options.connectionRate !== undefined;
    const { keepLatencies: _keep, ...cannonOptions } = options;
    const instance = autocannon({ ...(rated ? { ignoreCoordinatedOmission: true } : {}), ...cannonOptions }, (error, result) => {
      if (error) return reject(error);
      const ok = result['2xx'];
      resolve({
        latencies: options.keepLatencies ? latencies : undefined,
        perSecond: ok / result.duration,
        ok,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        failures: result.non2xx + result.errors + result.timeouts,
        statusCodes: result.statusCodeStats,
        duration: result.duration,
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

/**
 * A fixed request rate spread evenly over each second: `lanes` one-connection
 * autocannon instances of rate/lanes each, started 1/lanes of a second apart.
 * (One instance with overallRate fires each second's whole quota at its start,
 * so its latencies mostly measure the queue it builds itself.)
 */
async function steadyLoad(options, { rate, lanes }) {
  const runs = [];
  for (let lane = 0; lane < lanes; lane += 1) {
    runs.push(load({ ...options, connections: 1, overallRate: rate / lanes, keepLatencies: true }));
    await new Promise((resolve) => setTimeout(resolve, 1000 / lanes));
  }
  const results = await Promise.all(runs);
  const latencies = results.flatMap((r) => r.latencies);
  return {
    perSecond: results.reduce((sum, r) => sum + r.perSecond, 0),
    ok: results.reduce((sum, r) => sum + r.ok, 0),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failures: results.reduce((sum, r) => sum + r.failures, 0),
    statusCodes: results.map((r) => r.statusCodes),
    duration: Math.max(...results.map((r) => r.duration)),
  };
}

module.exports = { load, steadyLoad, median, quantile };
