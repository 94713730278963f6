import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../config';

/**
 * helmet's defaults (CSP, HSTS, nosniff, frame and referrer policies, …) with one
 * change: `upgrade-insecure-requests` only in production. Outside it the server is
 * plain http on localhost, where that directive would send the browser to fetch
 * /docs's scripts over https from a server that does not speak it.
 *
 * The default CSP suits Swagger UI as swagger-ui-express serves it: every script
 * is a file of this origin (script-src 'self'); its one inline style block is
 * allowed by helmet's style-src 'unsafe-inline'; its calls go to this origin.
 */
export function securityHeaders(config: Readonly<Config>): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: { upgradeInsecureRequests: config.env === 'production' ? [] : null },
    },
  });
}
