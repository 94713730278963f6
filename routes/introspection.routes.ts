import { Router } from 'express';
import type { Routes } from './types';
import { validate } from '../middleware/validate';
import { introspectRules } from '../app/validators/introspection.validator';

/**
 * Token introspection (RFC 7662) for resource servers: the client's HTTP Basic
 * credentials (INTROSPECTION_CLIENTS) -> validation -> the verdict. No route at
 * all, so a 404 like any unknown path, when no client is configured.
 */
export function introspectionRoutes(router: Router, { controllers: { introspection }, guards }: Routes): Router {
  if (!guards.introspectionClient) return router;
  return router.post('/token/introspect', guards.introspectionClient, validate(introspectRules), introspection.introspect);
}
