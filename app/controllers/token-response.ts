import type { CookieOptions, Request, Response } from 'express';
import type { Config } from '../../config';
import { REFRESH_COOKIE, REFRESH_COOKIE_PATHS, requestedDelivery } from '../auth/refresh-cookie';
import type { PresentedRefreshToken } from '../auth/refresh-token-source';
import { RefreshTokenRefused } from '../services/errors';
import type { TokenPair } from '../services/token.service';

// Hosts a browser reaches only from this machine: http://localhost:3000 in development must work without TLS.
const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export interface TokenResponder {
  /** Writes a token pair: in the body, or with the refresh token moved into the cookie. */
  send(req: Request, res: Response, pair: TokenPair, options?: { fromCookie?: boolean }): void;
  /** Expires the refresh cookie on every path it was set on. */
  clear(req: Request, res: Response): void;
  /**
   * Sends the pair `rotate` makes of the presented refresh token. When a cookie token
   * is refused (unknown, expired, revoked, reused) the cookie is expired too, or the
   * browser would send the dead token on every page load; a 5xx leaves it, as the
   * token may well still be good, and so does token_superseded: the browser's jar may
   * already hold the newer token another tab received. The error then goes on to the handler.
   */
  sendRotated(req: Request, res: Response, presented: PresentedRefreshToken, rotate: (token: string) => Promise<TokenPair>): Promise<void>;
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

  const responder: TokenResponder = {
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

    async sendRotated(req, res, presented, rotate) {
      try {
        responder.send(req, res, await rotate(presented.token), { fromCookie: presented.fromCookie });
      } catch (error) {
        if (presented.fromCookie && error instanceof RefreshTokenRefused && error.code !== 'token_superseded') responder.clear(req, res);
        throw error;
      }
    },
  };
  return responder;
}
