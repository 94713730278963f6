import type { RequestHandler } from 'express';
import type { createAdminController } from '../app/controllers/admin.controller';
import type { createAuthController } from '../app/controllers/auth.controller';
import type { createHealthController } from '../app/controllers/health.controller';
import type { createTokenController } from '../app/controllers/token.controller';
import type { createUserController } from '../app/controllers/user.controller';

/** Everything a route table needs: controllers, authentication guards and rate limits. */
export interface Routes {
  controllers: {
    auth: ReturnType<typeof createAuthController>;
    token: ReturnType<typeof createTokenController>;
    user: ReturnType<typeof createUserController>;
    health: ReturnType<typeof createHealthController>;
    admin: ReturnType<typeof createAdminController>;
  };
  guards: { accessToken: RequestHandler; credentials: RequestHandler; trustedOrigin: RequestHandler };
  limits: {
    perIp: RequestHandler;
    /** Failed password checks per account, one budget shared by the two limits below (middleware/rate-limit.ts). */
    loginFailures: RequestHandler;
    passwordFailures: RequestHandler;
  };
}
