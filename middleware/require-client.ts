import type { RequestHandler } from 'express';
import { basicCredentials, clientMatcher } from '../app/auth/client-credentials';
import { invalidClient } from '../app/errors';
import type { IntrospectionClient } from '../config/introspection-clients';

/**
 * Guards a route with HTTP Basic credentials of one of `clients` (INTROSPECTION_CLIENTS):
 * anything else, no credentials included, is 401 invalid_client with a Basic
 * challenge (RFC 6749 section 5.2). It runs before the body is validated, so a caller
 * without credentials learns nothing of the route's input rules.
 */
export function requireClient(clients: readonly IntrospectionClient[]): RequestHandler {
  const matchClient = clientMatcher(clients);
  return function requireClient(req, _res, next) {
    const credentials = basicCredentials(req.headers.authorization);
    next(credentials && matchClient(credentials) !== null ? undefined : invalidClient());
  };
}
