import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/**
 * What Express, its router and this app's middleware (cookie-parser, Passport,
 * express-validator, express-rate-limit, serve-static, the request context) set on a request
 * while handling it. A test keeps this list complete (test/integration/http-server.test.ts).
 */
export const REQUEST_FIELDS = [
  'res', 'next', 'baseUrl', 'originalUrl', '_parsedUrl', '_parsedOriginalUrl', 'params', 'route', 'body', 'id',
  'secret', 'cookies', 'signedCookies', 'express-validator#contexts', 'rateLimit',
  'login', 'logIn', 'logout', 'logOut', 'isAuthenticated', 'isUnauthenticated', '_sessionManager', 'user', 'authInfo',
] as const;

/**
 * A request born with every field in REQUEST_FIELDS (undefined until set).
 *
 * Why: Express moves each request and response onto the app's own prototype
 * (Object.setPrototypeOf), and V8 does not share hidden classes for properties
 * added to an object after its prototype changed. So every `req.params = …`,
 * `req.user = …` on every request built a new hidden class, garbage included:
 * measured at about a third of a guarded request's CPU (docs/performance.md).
 * Declared before Express touches the object, the same assignments are plain stores.
 */
class AppRequest extends IncomingMessage {
  constructor(socket: Socket) {
    super(socket);
    const fields = this as unknown as Record<string, unknown>;
    for (const name of REQUEST_FIELDS) fields[name] = undefined;
    // The first listener would otherwise add this counter (inherited as 0 until then).
    if (!Object.hasOwn(this, '_eventsCount')) fields._eventsCount = 0;
  }
}

/** A response born with Express's `locals`, on-finished's listener slot and Node's status fields (on the prototype until a response is written). */
class AppResponse extends ServerResponse {
  constructor(req: IncomingMessage) {
    super(req);
    const fields = this as unknown as Record<string, unknown>;
    fields.locals = undefined;
    fields.__onFinished = undefined;
    fields.statusCode = 200;
    fields.statusMessage = undefined;
  }
}

/** The HTTP server for an app: what app.listen() would make, with the objects above. */
export function createHttpServer(app: Express): Server {
  return createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}
