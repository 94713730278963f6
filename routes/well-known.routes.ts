import { Router } from 'express';
import type { createWellKnownController } from '../app/controllers/well-known.controller';

/**
 * Public documents for other services: the keys that verify access tokens and the
 * server metadata. Mounted before the API's no-store (app/index.ts): these are
 * meant to be cached, for the max-age each sets.
 */
export function wellKnownRoutes(wellKnown: ReturnType<typeof createWellKnownController>): Router {
  return Router()
    .get('/.well-known/jwks.json', wellKnown.jwks)
    .get('/.well-known/oauth-authorization-server', wellKnown.metadata);
}
