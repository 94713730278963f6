import type { Request, RequestHandler } from 'express';
import { usesRefreshCookie } from '../app/auth/refresh-cookie';
import { AppError } from '../app/errors';

/** The origin a request came from: its Origin header, else the origin of its Referer; undefined when neither says. */
function sourceOrigin(req: Request): string | undefined {
  const origin = req.get('Origin');
  if (origin !== undefined) return origin; // may be "null" (sandboxed frames, some redirects): never trusted
  const referer = req.get('Referer');
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

const csrfRejected = (description: string) => new AppError(403, 'forbidden', 'csrf_rejected', { description });

/**
 * Cross-site request forgery guard for every request that reads the refresh cookie
 * or asks for one to be written. SameSite=Strict already keeps the cookie off
 * cross-site requests; this check also covers same-site but cross-origin pages
 * (another port, a sibling subdomain) and browsers that ignore SameSite: the
 * request's Origin (or, failing that, Referer) must be this server's own origin or
 * one listed in CORS_ORIGINS. Browsers send Origin on every POST and PUT, so a
 * cookie request with neither header is refused too (OWASP CSRF cheat sheet,
 * "Verifying Origin With Standard Headers"). Requests without the cookie (API
 * clients with bearer tokens) pass untouched: nothing ambient authenticates them.
 * `allowedOrigins` come normalised from config (config/origin.ts), in the form
 * browsers serialize an Origin, so an exact comparison is the right one.
 */
export function requireTrustedOrigin(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return function requireTrustedOrigin(req, _res, next) {
    if (!usesRefreshCookie(req)) return next();
    const origin = sourceOrigin(req);
    if (origin === undefined) return next(csrfRejected('A request using the refresh cookie must carry an Origin or Referer header.'));
    // Behind a TLS-terminating proxy req.protocol is right only with TRUST_PROXY set.
    const ownOrigin = `${req.protocol}://${req.host ?? ''}`.toLowerCase();
    if (origin === ownOrigin || allowed.has(origin)) return next();
    next(csrfRejected('This origin may not use the refresh cookie.'));
  };
}
