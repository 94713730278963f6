import type { RequestHandler } from 'express';
import cors from 'cors';

/**
 * CORS for the origins in CORS_ORIGINS only, credentials included (a front end on
 * another origin sends cookies and Authorization). A request from any other
 * origin gets no CORS header at all, not even Access-Control-Allow-Credentials
 * (which the cors package would otherwise add to every response). Responses vary
 * on Origin so a shared cache never hands one origin's answer to another.
 * Retry-After is exposed so a front end can show how long a 429 lasts.
 * The match is exact: config normalised each entry to the form browsers send
 * (https://app.example.com, lower case, no default port; config/origin.ts).
 */
export function corsAllowList(origins: readonly string[]): RequestHandler | null {
  if (origins.length === 0) return null;
  const allowed = new Set(origins);
  const handler = cors({ origin: true, credentials: true, maxAge: 600, exposedHeaders: ['Retry-After'] });
  return function corsAllowList(req, res, next) {
    res.vary('Origin');
    const origin = req.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return next();
    handler(req, res, next);
  };
}
