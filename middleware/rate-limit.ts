import type { RequestHandler } from 'express';
import { rateLimit, Options } from 'express-rate-limit';
import { AppError } from '../app/errors';
import { usernameKey } from '../app/services/user.service';

const passThrough: RequestHandler = function noRateLimit(_req, _res, next) {
  next();
};

function tooManyRequests(): Options['handler'] {
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

/** AUTH_RATE_LIMIT: requests per minute per client IP to the credential endpoints (0 = off). */
export function perIpLimit(limit: number): RequestHandler {
  if (limit === 0) return passThrough;
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    handler: tooManyRequests(),
  });
}

/**
 * LOGIN_FAILURE_LIMIT: failed logins per username per 15 minutes (0 = off). Only
 * failures count (successful logins are skipped), so a guessing run against one
 * account is slowed whatever addresses it comes from.
 */
export function loginFailureLimit(limit: number): RequestHandler {
  if (limit === 0) return passThrough;
  return rateLimit({
    windowMs: 15 * 60_000,
    limit,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    skip: (req) => typeof req.body?.username !== 'string' || (req.body?.grant_type ?? 'password') !== 'password',
    keyGenerator: (req) => `user:${usernameKey(String(req.body.username))}`,
    handler: tooManyRequests(),
  });
}
