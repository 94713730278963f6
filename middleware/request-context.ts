import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactQuery, redactUrl } from '../app/logger';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Gives every request an id (a caller's X-Request-Id when it is safe to echo,
 * otherwise a fresh UUID), returns it in X-Request-Id, and logs the request as
 * structured JSON with that id (secrets redacted: see app/logger.ts).
 */
export function requestContext(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const offered = req.headers['x-request-id'];
      const id = typeof offered === 'string' && SAFE_REQUEST_ID.test(offered) ? offered : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      // Receives pino's serialized request: log a copy whose URL and query hold no secret.
      req(req: { url: string; query?: unknown }) {
        return { ...req, url: redactUrl(req.url), query: redactQuery(req.query) };
      },
    },
    customLogLevel(_req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
  });
}
