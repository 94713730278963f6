import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../../config';
import { REFRESH_COOKIE, REFRESH_COOKIE_PATHS, requestedDelivery } from '../auth/refresh-cookie';
import type { TokenPair } from '../services/token.service';

// Hosts a browser reaches only from this machine: http://localhost:3000 in development must work without TLS.
const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export interface TokenResponder {
  /** Writes a token pair: in the body, or with the refresh token moved into the cookie. */
  send(req: Request, res: Response, pair: TokenPair, options?: { fromCookie?: boolean }): void;
  /** Expires the refresh cookie on every path it was set on. */
  clear(req: Request, res: Response): void;
}

/**
 * How token responses reach the client. The cookie is HttpOnly (no script reads
 * it), SameSite=Strict (no cross-site request carries it) and Secure, except on a
 * plain-http loopback host outside production, where browsers would otherwise
 * drop it. A token that arrived in the cookie is only ever answered with a cookie,
 * so a script cannot trade the cookie for a readable refresh token.
 */
export function createTokenResponder(config: Readonly<Pick<Config, 'env'>>): TokenResponder {
  function attributes(req: Request, path: string): CookieOptions {
    const secure = config.env === 'production' || req.secure || !LOOPBACK_HOST.test(req.hostname);
    return { httpOnly: true, secure, sameSite: 'strict', path };
  }

  return {
    send(req, res, pair, options = {}) {
      if (!options.fromCookie && requestedDelivery(req) !== 'cookie') {
        res.json(pair);
        return;
      }
      const { refresh_token: refreshToken, ...body } = pair;
      for (const path of REFRESH_COOKIE_PATHS) {
        res.cookie(REFRESH_COOKIE, refreshToken, { ...attributes(req, path), maxAge: pair.refresh_token_expires_in * 1000 });
      }
      res.json(body);
    },

    clear(req, res) {
      for (const path of REFRESH_COOKIE_PATHS) res.clearCookie(REFRESH_COOKIE, attributes(req, path));
    },
  };
}
