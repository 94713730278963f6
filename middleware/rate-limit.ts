import type { RequestHandler } from 'express';
import { rateLimit, Options } from 'express-rate-limit';
import { AppError } from '../app/errors';
import { usernameKey } from '../app/services/user.service';
import { initOnce, LimitStores, limitStores } from './rate-limit-store';

export const passThrough: RequestHandler = function noRateLimit(_req, _res, next) {
  next();
};

export function tooManyRequests(): Options['handler'] {
  return function tooManyRequests(_req, res, next, options) {
    const retryAfter = res.getHeader('Retry-After') ?? String(Math.ceil(options.windowMs / 1000));
    next(
      new AppError(429, 'rate_limited', 'too_many_requests', {
        description: `Too many requests; try again in ${retryAfter} seconds.`,
        headers: { 'Retry-After': String(retryAfter) },
      }),
    );
  };
}

/** AUTH_RATE_LIMIT: requests per minute per client IP to the credential endpoints (0 = off); `stores`: middleware/rate-limit-store.ts. */
export function perIpLimit(limit: number, stores: LimitStores = limitStores()): RequestHandler {
  if (limit === 0) return passThrough;
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    handler: tooManyRequests(),
    store: stores('ip'),
  });
}

/** One account's key, whichever door its name came through: "Alice" and "alice" are one account. */
const accountKey = (username: string) => `user:${usernameKey(username)}`;

export interface AccountFailureLimits {
  /** POST /token, password grant: keyed by the body's username, known or not (a 429 must not tell them apart). */
  login: RequestHandler;
  /** PUT /users/me/password, after the access-token guard: keyed by the caller's own username. */
  passwordChange: RequestHandler;
}

/**
 * LOGIN_FAILURE_LIMIT: failed password checks per account per 15 minutes (0 = off).
 * A password is checked at two doors, a login at /token and the current password
 * at PUT /users/me/password, and both draw on ONE budget: one store, one key per
 * account. Without the second door a stolen access token would be an unthrottled
 * oracle for the password, and with two budgets an attacker would simply
 * alternate doors (issue 14). Only failures count (successes are given back), so
 * a guessing run is slowed whatever addresses it comes from.
 */
export function accountFailureLimits(limit: number, stores: LimitStores = limitStores()): AccountFailureLimits {
  if (limit === 0) return { login: passThrough, passwordChange: passThrough };
  const shared = {
    windowMs: 15 * 60_000,
    limit,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    handler: tooManyRequests(),
    store: initOnce(stores('account')),
    // express-rate-limit warns when a store serves two limiters, as that is usually a
    // mistake; here the shared count is the point. (No request passes both limiters.)
    validate: { unsharedStore: false },
  } satisfies Partial<Options>;
  return {
    login: rateLimit({
      ...shared,
      skip: (req) => typeof req.body?.username !== 'string' || (req.body?.grant_type ?? 'password') !== 'password',
      keyGenerator: (req) => accountKey(String(req.body.username)),
    }),
    passwordChange: rateLimit({
      ...shared,
      skip: (req) => req.user === undefined,
      keyGenerator: (req) => accountKey(req.user!.username),
      // Past the guards and validation, a 403 here is only password_incorrect: a guess. Anything else is given back.
      requestWasSuccessful: (_req, res) => res.statusCode !== 403,
    }),
  };
}
