import type { Request, RequestHandler } from 'express';
import { Options, rateLimit } from 'express-rate-limit';
import { presentedRefreshToken, REFRESH_TOKEN_SOURCES, RefreshTokenSource } from '../app/auth/refresh-token-source';
import { namedSessionPart } from '../app/services/refresh-token-shape';
import { passThrough, tooManyRequests } from './rate-limit';
import type { LimitStores } from './rate-limit-store';

export interface RefreshLimits {
  /** POST /token/refresh */
  refresh: RequestHandler;
  /** POST /token: a refresh_token grant is a refresh; any other grant (a login) goes to the per-IP limit. */
  tokenGrant: RequestHandler;
}

/** The session a request's refresh token names, or undefined (none, several, the earlier shape: those are counted per IP). Reads only. */
function sessionNamedBy(req: Request, source: RefreshTokenSource): string | undefined {
  try {
    const presented = presentedRefreshToken(req, source);
    return presented && namedSessionPart(presented.token);
  } catch {
    return undefined; // a malformed request: the route answers its 400 after the limit
  }
}

/** A refused refresh: the caller's fault (a bad token, a malformed request), not a 429 (the session's own limit) or a 5xx (ours). */
const isRefusal = (status: number) => status >= 400 && status < 500 && status !== 429;

/**
 * AUTH_RATE_LIMIT for refreshes (0 = off): per SESSION, not per client address, so
 * browsers behind one NAT (an office) each have their own budget for the refreshes of
 * their page loads. A refresh token names its session (app/services/refresh-token-shape.ts),
 * so the session is known before any database work; but anyone can write any session
 * into a token, so two limits apply:
 *  - failed refreshes per client IP: a guessing run, or a forger writing someone else's
 *    session, is throttled by address (a budget of its own, apart from logins, so a
 *    morning of expired cookies behind one NAT cannot lock that office out of logging in);
 *  - successful refreshes per session: a session that refreshes too often is refused.
 *    A failed refresh is given back, so forged prefixes never spend the victim's budget.
 * The address limit runs first: once an address has failed too often its requests stop
 * there and never reach a session's count. A refresh that names no session (a token of
 * the earlier shape, none, or one in several places) is counted by `perIp`, like a login.
 *
 * express-rate-limit counts a request on arrival and gives it back on its outcome, so a
 * limit holds under any number of concurrent refreshes; a forged request in flight holds
 * one unit of its victim's session until it fails, a few milliseconds.
 */
export function refreshLimits(limit: number, perIp: RequestHandler, stores: LimitStores): RefreshLimits {
  if (limit === 0) return { refresh: passThrough, tokenGrant: passThrough };
  const sessions = new WeakMap<Request, string>();
  const common = { windowMs: 60_000, limit, standardHeaders: 'draft-6', legacyHeaders: false, handler: tooManyRequests() } satisfies Partial<Options>;
  const failuresPerIp = rateLimit({
    ...common,
    store: stores('refresh-failures'),
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => !isRefusal(res.statusCode),
  });
  const successesPerSession = rateLimit({
    ...common,
    store: stores('session'),
    skipFailedRequests: true,
    keyGenerator: (req) => sessions.get(req)!,
  });

  const limitRefresh = (source: RefreshTokenSource): RequestHandler =>
    function limitRefresh(req, res, next) {
      const session = sessionNamedBy(req, source);
      if (session === undefined) {
        perIp(req, res, next);
        return;
      }
      sessions.set(req, session);
      failuresPerIp(req, res, (error?: unknown) => (error === undefined ? successesPerSession(req, res, next) : next(error)));
    };
  const refresh = limitRefresh(REFRESH_TOKEN_SOURCES.refresh);
  const grant = limitRefresh(REFRESH_TOKEN_SOURCES.grant);
  return {
    refresh,
    tokenGrant: function limitTokenGrant(req, res, next) {
      (req.body?.grant_type === 'refresh_token' ? grant : perIp)(req, res, next);
    },
  };
}
