import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import pino, { Level, Logger } from 'pino';
import { redactQuery, redactUrl } from '../app/logger';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

declare module 'http' {
  interface IncomingMessage {
    /** This request's id, also sent back in X-Request-Id. */
    id: string;
    /** A logger bound to this request (id, method, redacted URL and headers), made on first use. */
    log: Logger;
  }
}

/** pino's request serializer, with secret-looking query values censored (the request itself is left alone). */
function serializeRequest(req: IncomingMessage) {
  const serialized = pino.stdSerializers.req(req);
  return { ...serialized, url: redactUrl(serialized.url), query: redactQuery(serialized.query) };
}

function levelOf(res: ServerResponse): Level {
  if (res.statusCode >= 500) return 'error';
  if (res.statusCode >= 400) return 'warn';
  return 'info';
}

/**
 * Gives every request an id (a caller's X-Request-Id when it is safe to echo,
 * otherwise a fresh UUID), returns it in X-Request-Id, and logs each response as
 * one JSON line with that id in pino-http's shape ({req, res, responseTime},
 * "request completed" / "request errored"; 4xx at warn, 5xx at error), and, at
 * debug, each request as it arrives ("request received"). Secrets are redacted by
 * app/logger.ts.
 *
 * Why not pino-http: it builds a child logger per request, serializing the request
 * up front, even at a level where nothing of it is ever written; on a guarded
 * request that was the largest cost after the JWT check (docs/performance.md).
 * Here the child logger is made only when a line is written or code reads `req.log`.
 */
export function requestContext(app: Express, logger: Logger): RequestHandler {
  const base = logger.child({}, { serializers: { req: serializeRequest, res: pino.stdSerializers.res } });

  // An accessor on this app's request prototype: the first read makes the child logger and keeps it.
  const keep = (req: IncomingMessage, log: Logger) => Object.defineProperty(req, 'log', { value: log, writable: true, configurable: true });
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: IncomingMessage) {
      const log = base.child({ req: this });
      keep(this, log);
      return log;
    },
    set(this: IncomingMessage, log: Logger) {
      keep(this, log);
    },
  });

  return function requestContext(req, res, next) {
    const offered = req.headers['x-request-id'];
    req.id = typeof offered === 'string' && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    const startedAt = performance.now();
    // At debug, a line as each request arrives: with the one at its end, it shows what was in
    // flight when something happened (a slow request, a signal, a crash). Nothing at info.
    if (base.isLevelEnabled('debug')) req.log.debug('request received');

    // 'close' follows 'finish' on every response and also ends an aborted one: one listener covers both.
    res.once('close', function logResponse() {
      const level = levelOf(res);
      if (!base.isLevelEnabled(level)) return;
      const responseTime = Math.round(performance.now() - startedAt);
      if (level === 'error') req.log.error({ res, err: new Error(`failed with status code ${res.statusCode}`), responseTime }, 'request errored');
      else req.log[level]({ res, responseTime }, 'request completed');
    });
    next();
  };
}
