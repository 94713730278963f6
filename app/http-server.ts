import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/**
 * What Express, its router and the server's middleware (cookie-parser, Passport,
 * express-validator, express-rate-limit, serve-static, the request context) set on a request
 * while handling it. An app resource declares what its own middleware sets in its
 * `requestFields` (routes/app.routes.ts); createApp hands those to declareRequestFields.
 * A test keeps both complete (test/integration/http-server.test.ts).
 */
export const REQUEST_FIELDS = [
  'res', 'next', 'baseUrl', 'originalUrl', '_parsedUrl', '_parsedOriginalUrl', 'params', 'route', 'body', 'id',
  'secret', 'cookies', 'signedCookies', 'express-validator#contexts', 'rateLimit',
  'login', 'logIn', 'logout', 'logOut', 'isAuthenticated', 'isUnauthenticated', '_sessionManager', 'user', 'authInfo',
] as const;

/** The app setting holding the request fields an app's own resources declared. */
const APP_REQUEST_FIELDS = 'auth-server request fields';

/** Called by createApp with the `requestFields` of the app's resources. */
export function declareRequestFields(app: Express, fields: readonly string[]): void {
  app.set(APP_REQUEST_FIELDS, fields);
}

/**
 * The request class of a server for `app`: born with every field in REQUEST_FIELDS
 * and the app's declared ones (undefined until set).
 *
 * Why: Express moves each request and response onto the app's own prototype
 * (Object.setPrototypeOf), and V8 does not share hidden classes for properties
 * added to an object after its prototype changed. So every `req.params = …`,
 * `req.user = …` on every request built a new hidden class, garbage included:
 * measured at about a third of a guarded request's CPU (docs/performance.md).
 * Declared before Express touches the object, the same assignments are plain stores.
 */
function requestClass(app: Express): typeof IncomingMessage {
  const names = [...new Set<string>([...REQUEST_FIELDS, ...((app.get(APP_REQUEST_FIELDS) as readonly string[] | undefined) ?? [])])];
  return class AppRequest extends IncomingMessage {
    constructor(socket: Socket) {
      super(socket);
      const fields = this as unknown as Record<string, unknown>;
      for (const name of names) fields[name] = undefined;
      // The first listener would otherwise add this counter (inherited as 0 until then).
      if (!Object.hasOwn(this, '_eventsCount')) fields._eventsCount = 0;
    }
  };
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
  return createServer({ IncomingMessage: requestClass(app), ServerResponse: AppResponse }, app);
}
