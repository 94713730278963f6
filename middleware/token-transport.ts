import type { Request, RequestHandler } from 'express';
import { refreshTokenFromCookie, requestedDelivery } from '../app/auth/refresh-cookie';
import { presentedRefreshToken, RefreshTokenSource } from '../app/auth/refresh-token-source';

type SourceOf = RefreshTokenSource | ((req: Request) => RefreshTokenSource | undefined);

/**
 * Refuses a request whose tokens travel wrongly before anything changes: before the
 * failure limiter counts it, before Passport checks a password, before any write.
 * The Refresh-Token-Delivery header must be one we know, the refresh cookie's name
 * may come once, and where the endpoint reads a refresh token (`source`), it must
 * be in exactly one place. Checked later, such a request used to log in, rotate or
 * revoke first and answer 400 after (issue 14). It only reads; the controller
 * reads the token again through the same function.
 */
export function checkTokenTransport(sourceOf?: SourceOf): RequestHandler {
  return function checkTokenTransport(req, _res, next) {
    // Each of these throws its 400; their values are read again where they are used.
    requestedDelivery(req);
    refreshTokenFromCookie(req);
    const source = typeof sourceOf === 'function' ? sourceOf(req) : sourceOf;
    if (source) presentedRefreshToken(req, source);
    next();
  };
}
