'use strict';

/**
 * The resource server's settings, read from the environment once. None of them is
 * a secret: tokens are verified with the auth server's public keys, fetched from
 * its JWKS.
 */
function loadConfig(env) {
  const authServerUrl = (env.AUTH_SERVER_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  return Object.freeze({
    port: number(env, 'PORT', 4000),
    jwksUri: `${authServerUrl}/.well-known/jwks.json`,
    // The auth server's `iss`: its PUBLIC_URL once that is set, else its JWT_ISSUER (default auth-server).
    issuer: env.JWT_ISSUER ?? 'auth-server',
    audience: env.JWT_AUDIENCE ?? 'auth-server-api',
    // How long a fetched key is trusted without asking again: the longest a revoked key still
    // works here (plus the auth server's own 10 s reload). A kid never seen is fetched at once.
    jwksCacheMaxAgeMs: number(env, 'JWKS_CACHE_MAX_AGE', 600) * 1000,
    // JWKS fetches allowed per minute, so tokens naming made-up kids cannot flood the auth server.
    jwksRequestsPerMinute: number(env, 'JWKS_REQUESTS_PER_MINUTE', 10),
  });
}

function number(env, name, fallback) {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of 0 or more (got "${raw}")`);
  return value;
}

module.exports = { loadConfig };
