import cookieParser from 'cookie-parser';
import express, { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Database } from '../models';
import { readBody } from '../middleware/body';
import { corsAllowList } from '../middleware/cors';
import { requireTrustedOrigin } from '../middleware/csrf';
import { errorHandler } from '../middleware/error-handler';
import { noStore } from '../middleware/no-store';
import { notFound } from '../middleware/not-found';
import { accountFailureLimits, perIpLimit } from '../middleware/rate-limit';
import { forgotPerAddressLimit } from '../middleware/rate-limit-forgot';
import { refreshLimits } from '../middleware/rate-limit-refresh';
import { limitStores } from '../middleware/rate-limit-store';
import { requestContext } from '../middleware/request-context';
import { securityHeaders } from '../middleware/security-headers';
import { requireAccessToken, requireCredentials } from '../middleware/authenticate';
import { requireClient } from '../middleware/require-client';
import { verificationMailLimit } from '../middleware/verification-mail-limit';
import { apiRoutes, AppResource, docsRoutes, Routes, wellKnownRoutes } from '../routes';
import { APP_RESOURCES } from '../routes/app.routes';
import { installGuards } from './auth/guards';
import { createPassport } from './auth/passport';
import { Clock, systemClock } from './clock';
import { createAdminController } from './controllers/admin.controller';
import { createAuthController } from './controllers/auth.controller';
import { createEmailController } from './controllers/email.controller';
import { createHealthController } from './controllers/health.controller';
import { createIntrospectionController } from './controllers/introspection.controller';
import { createPasswordResetController } from './controllers/password-reset.controller';
import { createTokenController } from './controllers/token.controller';
import { createTokenResponder } from './controllers/token-response';
import { createUserController } from './controllers/user.controller';
import { createWellKnownController } from './controllers/well-known.controller';
import { declareRequestFields } from './http-server';
import { createLogger } from './logger';
import type { InvalidationChannel } from './invalidation/channel';
import { publicDir } from './public-dir';
import type { RedisConnection } from './redis';
import { createKeyRing } from './keys';
import { createOutbox } from './mail/outbox';
import { createAccessTokenService } from './services/access-token.service';
import { createEmailService } from './services/email.service';
import { createIntrospectionService } from './services/introspection.service';
import { createPasswordService } from './services/password.service';
import { createPasswordResetService } from './services/password-reset.service';
import { createRefreshTokenService } from './services/refresh-token.service';
import { createSigningKeyService } from './services/signing-key.service';
import { createSessionStateService } from './services/session-state.service';
import { createTokenService } from './services/token.service';
import { createUserService } from './services/user.service';
import { createUserAdminService } from './services/user-admin.service';

export interface AppDeps {
  config: Readonly<Config>;
  db: Database;
  clock?: Clock;
  logger?: Logger;
  /** Services already built over this db (server start builds them once, for the seeder and the app); built here otherwise. */
  services?: Services;
  /** The app's own resources; routes/app.routes.ts's list unless a test hands others. */
  resources?: readonly AppResource[];
  /** How this process hears of other processes' session changes (app/invalidation/); one process alone by default. */
  channel?: InvalidationChannel;
  /** With REDIS_URL: the connection (app/redis.ts) the rate limits count in, shared by every instance; the caller closes it. */
  redis?: RedisConnection;
}

export type Services = ReturnType<typeof createServices>;

/**
 * Builds the services from config, database and clock: the wiring diagram of the
 * server. Each call registers model hooks for a session cache of its own, so build
 * them once per app and hand that one set to whatever else needs a service.
 */
export function createServices({ config, db, clock = systemClock, channel, logger }: AppDeps) {
  const passwords = createPasswordService(config.argon2, config.threadPool.hashConcurrency);
  const sessions = createSessionStateService(db, channel);
  const outbox = createOutbox(db, clock);
  const keys = createKeyRing({ config, db, clock, channel, logger });
  const signingKeys = createSigningKeyService(config, db, clock);
  const accessTokens = createAccessTokenService(config, clock, keys);
  const refreshTokens = createRefreshTokenService(config, db, clock);
  const emails = createEmailService({ db, outbox: config.mail.disabled ? null : outbox, passwords, clock, config });
  const users = createUserService(db, passwords, refreshTokens, emails, clock);
  const passwordReset = createPasswordResetService({ db, clock, outbox, passwords, users, publicUrl: config.publicUrl, tokenTtl: config.mail.resetTokenTtl });
  const userAdmin = createUserAdminService(db, sessions, refreshTokens, users, clock);
  const tokens = createTokenService(accessTokens, refreshTokens, () => clock.now());
  const introspection = createIntrospectionService(accessTokens, sessions, refreshTokens);
  return { passwords, sessions, outbox, keys, signingKeys, accessTokens, refreshTokens, users, emails, passwordReset, userAdmin, tokens, introspection };
}

/** The Express app. It never listens: server.ts does, and tests hand it to supertest. */
export function createApp(deps: AppDeps): Express {
  const { config, db, clock = systemClock, resources = APP_RESOURCES } = deps;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const services = deps.services ?? createServices(deps);
  const passport = createPassport(services);
  const accessToken = requireAccessToken(passport);
  const responder = createTokenResponder(config);
  const stores = limitStores(deps.redis && { connection: deps.redis, logger });
  const perIp = perIpLimit(config.authRateLimit, stores);
  const refreshes = refreshLimits(config.authRateLimit, perIp, stores);
  const failures = accountFailureLimits(config.loginFailureLimit, stores);

  const app = express();
  app.disable('x-powered-by');
  // API responses are no-store, so an ETag could never revalidate one; Express would hash every body for it.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  // What the app's own route files import (app/auth/guards.ts) and what its middleware sets on requests find here.
  installGuards(app, { accessToken });
  declareRequestFields(app, resources.flatMap((resource) => resource.requestFields ?? []));
  app.use(requestContext(app, logger));
  app.use(securityHeaders(config));
  const cors = corsAllowList(config.corsOrigins);
  if (cors) app.use(cors);
  // The web page's own files only: any other request (every API call) never waits for a file-system lookup.
  app.get(['/', '/index.html', '/styles.css', '/js/*file'], express.static(publicDir(), { index: 'index.html' }));
  const introspection = config.introspectionClients.length > 0;
  app.use(docsRoutes(resources.flatMap((resource) => (resource.docs ? [resource.docs] : [])), { introspection, mail: !config.mail.disabled }));
  // Public and cacheable, so before the API's no-store.
  app.use(wellKnownRoutes(createWellKnownController(config, services.keys)));
  app.use(noStore);
  app.use(readBody(config.bodyLimit));
  app.use(cookieParser());
  const serverRoutes: Routes = {
    controllers: {
      auth: createAuthController(services.users, services.refreshTokens, responder),
      token: createTokenController(services.tokens, services.refreshTokens, responder),
      user: createUserController(services.users, services.tokens, responder),
      health: createHealthController(db.sequelize, deps.redis),
      admin: createAdminController(services.userAdmin),
      introspection: createIntrospectionController(services.introspection),
      passwordReset: config.mail.disabled ? undefined : createPasswordResetController(services.passwordReset),
      email: createEmailController(services.emails),
    },
    guards: {
      accessToken,
      credentials: requireCredentials(passport),
      trustedOrigin: requireTrustedOrigin(config.corsOrigins),
      introspectionClient: introspection ? requireClient(config.introspectionClients) : undefined,
    },
    limits: {
      perIp,
      tokenGrant: refreshes.tokenGrant,
      refresh: refreshes.refresh,
      loginFailures: failures.login,
      passwordFailures: failures.passwordChange,
      forgotPerAddress: forgotPerAddressLimit(config.mail.rateLimit, stores),
      verificationMails: verificationMailLimit(config.mail.rateLimit, stores),
    },
    mailEnabled: !config.mail.disabled,
  };
  app.use(apiRoutes(serverRoutes, resources, { config, db, clock, services }));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
