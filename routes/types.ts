import type { RequestHandler, Router } from 'express';
import type { Services } from '../app';
import type { Clock } from '../app/clock';
import type { createAdminController } from '../app/controllers/admin.controller';
import type { createAuthController } from '../app/controllers/auth.controller';
import type { createEmailController } from '../app/controllers/email.controller';
import type { createHealthController } from '../app/controllers/health.controller';
import type { createIntrospectionController } from '../app/controllers/introspection.controller';
import type { createPasswordResetController } from '../app/controllers/password-reset.controller';
import type { createTokenController } from '../app/controllers/token.controller';
import type { createUserController } from '../app/controllers/user.controller';
import type { ApiDocs } from '../app/docs/parts';
import type { Config } from '../config';
import type { Database } from '../models';

/** Everything a route table needs: controllers, authentication guards and rate limits. */
export interface Routes {
  controllers: {
    auth: ReturnType<typeof createAuthController>;
    token: ReturnType<typeof createTokenController>;
    user: ReturnType<typeof createUserController>;
    health: ReturnType<typeof createHealthController>;
    admin: ReturnType<typeof createAdminController>;
    introspection: ReturnType<typeof createIntrospectionController>;
    /** Undefined with MAIL_DISABLED=true: no password-reset routes at all. */
    passwordReset?: ReturnType<typeof createPasswordResetController>;
    email: ReturnType<typeof createEmailController>;
  };
  guards: {
    accessToken: RequestHandler;
    credentials: RequestHandler;
    trustedOrigin: RequestHandler;
    /** HTTP Basic of an INTROSPECTION_CLIENTS client (middleware/require-client.ts); undefined when none is configured. */
    introspectionClient?: RequestHandler;
  };
  limits: {
    /** Registrations and logins, per client IP (middleware/rate-limit.ts). */
    perIp: RequestHandler;
    /** POST /token: a login per IP, a refresh_token grant as `refresh` (middleware/rate-limit-refresh.ts). */
    tokenGrant: RequestHandler;
    /** Refreshes: successes per session, failures per IP (middleware/rate-limit-refresh.ts). */
    refresh: RequestHandler;
    /** Failed password checks per account, one budget shared by the two limits below (middleware/rate-limit.ts). */
    loginFailures: RequestHandler;
    passwordFailures: RequestHandler;
    /** "Forgot password?" requests per address (MAIL_RATE_LIMIT per hour): past it, marked, never refused (middleware/rate-limit-forgot.ts). */
    forgotPerAddress: RequestHandler;
    /** Verification mails a user asks for, per hour (MAIL_RATE_LIMIT; middleware/verification-mail-limit.ts). */
    verificationMails: RequestHandler;
  };
  /** False with MAIL_DISABLED: the routes that send or follow mail are not mounted (404). */
  mailEnabled: boolean;
}

/** What an app resource's routes get to build their controllers and services from: the app's own. */
export interface ResourceDeps {
  config: Readonly<Config>;
  db: Database;
  clock: Clock;
  /** The server's services (users, sessions, access tokens, …), built once per app. */
  services: Services;
}

/**
 * One of the app's own resources, listed in routes/app.routes.ts. Guards are
 * imported by the route file (app/auth/guards.ts), not handed in.
 */
export interface AppResource {
  /**
   * Adds the resource's routes to the app's router, after the server's own and
   * before the 404 and error handlers; builds its service and controller from `deps`.
   */
  routes(router: Router, deps: ResourceDeps): Router;
  /** Its entries in /openapi.json, kept beside the routes (routes/<domain>.docs.ts). */
  docs?: ApiDocs;
  /**
   * Properties the resource's own middleware sets on `req` (say `req.tenant`): every
   * request is then born with them (app/http-server.ts). test/integration/http-server.test.ts
   * names any that is missing.
   */
  requestFields?: readonly string[];
}
