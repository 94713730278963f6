import type { RequestHandler } from 'express';

/** RFC 6749 section 5.1: responses that carry tokens must not be cached anywhere. */
export const noStore: RequestHandler = function noStore(_req, res, next) {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
  next();
};
