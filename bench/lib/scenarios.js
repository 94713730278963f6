'use strict';
/** The load each figure is measured under: autocannon runs against one target. */
const { load, steadyLoad } = require('./load');

const CONNECTIONS = 50;
const FIXED_RATE = 500;
const FIXED_RATE_LANES = 10;
const PASSWORD = 'correct horse battery staple';
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Every autocannon client gets its own user's token (client i → token i mod n). */
function bearerPerClient(tokens) {
  let next = 0;
  return function setupClient(client) {
    client.setHeaders({ authorization: `Bearer ${tokens[next++ % tokens.length]}` });
  };
}

/** Logins spread over the seeded users; successful ones feed `pool` with refresh tokens. */
function loginLoad(port, users, { seconds, connections = CONNECTIONS, pool }) {
  let next = 0;
  return load({
    url: `http://127.0.0.1:${port}/token`,
    connections,
    duration: seconds,
    timeout: 30,
    setupClient(client) {
      const username = users[next++ % users.length];
      client.setRequests([
        {
          method: 'POST',
          path: '/token',
          headers: JSON_HEADERS,
          body: JSON.stringify({ grant_type: 'password', username, password: PASSWORD }),
          onResponse(status, body) {
            if (status === 200 && pool) pool.push(JSON.parse(body).refresh_token);
          },
        },
      ]);
    },
  });
}

/**
 * Rotations: each connection starts from its own fresh refresh token and always
 * presents the successor it was just given, as a well-behaved client does.
 */
function rotationLoad(port, pool, seconds) {
  return load({
    url: `http://127.0.0.1:${port}/token/refresh`,
    connections: CONNECTIONS,
    duration: seconds,
    setupClient(client) {
      let token = pool.pop();
      client.setRequests([
        {
          method: 'POST',
          path: '/token/refresh',
          setupRequest(req) {
            req.headers = { ...req.headers, authorization: `Bearer ${token}` };
            return req;
          },
          onResponse(status, body) {
            if (status === 200) token = JSON.parse(body).refresh_token;
            else token = pool.pop() ?? token;
          },
        },
      ]);
    },
  });
}

let registrations = 0;
function registrationLoad(port, seconds) {
  return load({
    url: `http://127.0.0.1:${port}/auth/register`,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/auth/register',
        headers: JSON_HEADERS,
        setupRequest(req) {
          req.body = JSON.stringify({ username: `reg_${registrations++}`, password: PASSWORD });
          return req;
        },
      },
    ],
  });
}

function guardedLoad(port, tokens, seconds, extra = {}) {
  return load({ url: `http://127.0.0.1:${port}/protected`, connections: CONNECTIONS, duration: seconds, setupClient: bearerPerClient(tokens), ...extra });
}

/**
 * GET /protected where every request carries the next token of `pool.tokens`, in
 * turn across all connections; `pool.next` carries on from run to run. A pool
 * larger than the server's cache of verified tokens, read in a cycle, defeats an
 * LRU cache: each token has been evicted before it comes round again.
 */
function guardedNewTokenLoad(port, pool, seconds) {
  return load({
    url: `http://127.0.0.1:${port}/protected`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path: '/protected',
        setupRequest(req) {
          req.headers = { ...req.headers, authorization: `Bearer ${pool.tokens[pool.next++ % pool.tokens.length]}` };
          return req;
        },
      },
    ],
  });
}

/** GET /protected at FIXED_RATE per second, spread evenly over each second. */
function fixedRateLoad(port, tokens, seconds) {
  let lane = 0;
  return steadyLoad(
    {
      url: `http://127.0.0.1:${port}/protected`,
      duration: seconds,
      setupClient(client) {
        client.setHeaders({ authorization: `Bearer ${tokens[lane++ % tokens.length]}` });
      },
    },
    { rate: FIXED_RATE, lanes: FIXED_RATE_LANES },
  );
}

module.exports = { CONNECTIONS, FIXED_RATE, FIXED_RATE_LANES, PASSWORD, guardedLoad, guardedNewTokenLoad, fixedRateLoad, loginLoad, rotationLoad, registrationLoad };
