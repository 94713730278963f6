import { notes } from './notes.routes';
import type { AppResource } from './types';

/**
 * The app's own resources: the one place an app's routers are listed. Each one's
 * routes join the server's (before the 404 and error handlers), its docs join
 * /openapi.json, and the request fields its middleware sets are declared for
 * app/http-server.ts. To add a resource, write routes/<domain>.routes.ts (guards
 * from app/auth/guards.ts), its docs beside it, and add it here.
 */
export const APP_RESOURCES: readonly AppResource[] = [notes];
