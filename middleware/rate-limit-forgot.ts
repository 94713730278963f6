import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { passThrough } from './rate-limit';
import { LimitStores, limitStores } from './rate-limit-store';

/** The `res.locals` flag on a request past the limit: the controller answers it alike and sends nothing. */
export const OVER_MAIL_LIMIT = 'overMailLimit';

/**
 * MAIL_RATE_LIMIT: "Forgot password?" requests per address per hour (0 = off), so
 * nobody can fill a mailbox with reset mail. Keyed by the lower-cased address,
 * known or not, in the shared stores (Redis when set). A request past the limit
 * is not refused: a 429, or any header of its own, would say something about the
 * address. It goes on to the controller marked, and gets the same 202 {}, with
 * nothing sent. Runs after validation, so only a well-formed address counts.
 */
export function forgotPerAddressLimit(limit: number, stores: LimitStores = limitStores()): RequestHandler {
  if (limit === 0) return passThrough;
  return rateLimit({
    windowMs: 60 * 60_000,
    limit,
    standardHeaders: false,
    legacyHeaders: false,
    keyGenerator: (req) => `forgot:${String(req.body.email).toLowerCase()}`,
    handler: function quietlyOverLimit(_req, res, next) {
      res.locals[OVER_MAIL_LIMIT] = true;
      next();
    },
    store: stores('forgot'),
  });
}
