import { Router } from 'express';
import { adminRoutes } from './admin.routes';
import { authRoutes } from './auth.routes';
import { emailRoutes } from './email.routes';
import { healthRoutes } from './health.routes';
import { introspectionRoutes } from './introspection.routes';
import { passwordResetRoutes } from './password-reset.routes';
import { tokenRoutes } from './token.routes';
import type { AppResource, ResourceDeps, Routes } from './types';
import { userRoutes } from './user.routes';

export type { AppResource, ResourceDeps, Routes } from './types';
export { docsRoutes } from './docs.routes';
export { wellKnownRoutes } from './well-known.routes';

/**
 * The API's table of contents: the server's routes, then the app's own resources
 * (routes/app.routes.ts). Every domain adds its routes to one router, so a request
 * passes one router rather than one per domain (each router a request enters costs
 * it time and garbage, whether or not a route there matches).
 */
export function apiRoutes(routes: Routes, resources: readonly AppResource[], deps: ResourceDeps): Router {
  const router = Router();
  for (const addRoutes of [tokenRoutes, introspectionRoutes, authRoutes, emailRoutes, passwordResetRoutes, userRoutes, adminRoutes, healthRoutes]) addRoutes(router, routes);
  for (const resource of resources) resource.routes(router, deps);
  return router;
}
