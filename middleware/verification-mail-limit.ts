import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { passThrough, tooManyRequests } from './rate-limit';
import { LimitStores, limitStores } from './rate-limit-store';

/**
 * MAIL_RATE_LIMIT: verification mails a user may ask for per hour (0 = off), after
 * the access-token guard, keyed by the user's id. Counted in the limit stores
 * (middleware/rate-limit-store.ts) rather than by counting the user's mails in the
 * outbox: a store counts up and compares in one step, so requests at once can
 * never together pass the limit, where "count, then write" in the database would
 * let each of them see room for one more. Only resends that wrote a mail (202)
 * use the budget; a refusal (409, 429) gives its count back.
 */
export function verificationMailLimit(limit: number, stores: LimitStores = limitStores()): RequestHandler {
  if (limit === 0) return passThrough;
  return rateLimit({
    windowMs: 60 * 60_000,
    limit,
    standardHeaders: 'draft-6',
    legacyHeaders: false,
    skipFailedRequests: true,
    skip: (req) => req.user === undefined,
    keyGenerator: (req) => `user:${req.user!.id}`,
    handler: tooManyRequests(),
    store: stores('verification-mail'),
  });
}
