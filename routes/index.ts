import { Router } from 'express';
import { authRoutes } from './auth.routes';
import { healthRoutes } from './health.routes';
import { tokenRoutes } from './token.routes';
import type { Routes } from './types';
import { userRoutes } from './user.routes';

export type { Routes } from './types';
export { docsRoutes } from './docs.routes';

/** The API's table of contents. */
export function apiRoutes(routes: Routes): Router {
  return Router().use(tokenRoutes(routes), authRoutes(routes), userRoutes(routes), healthRoutes(routes));
}
