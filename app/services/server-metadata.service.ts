import type { Config } from '../../config';

/** RFC 8414 section 2: the members this server has something to say in. */
export interface ServerMetadata {
  issuer: string;
  token_endpoint: string;
  jwks_uri: string;
  revocation_endpoint: string;
  introspection_endpoint?: string;
  grant_types_supported: string[];
  response_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  revocation_endpoint_auth_methods_supported: string[];
  introspection_endpoint_auth_methods_supported?: string[];
  service_documentation: string;
}

/**
 * The server metadata of GET /.well-known/oauth-authorization-server, from config
 * alone (so built once). Every URL starts with PUBLIC_URL; the issuer is the `iss`
 * of the tokens, as RFC 8414 section 3.3 asks (JWT_ISSUER, else PUBLIC_URL, else
 * auth-server: no URL, so a deployment that publishes metadata sets PUBLIC_URL).
 *
 * - No authorization endpoint: neither grant served (password, refresh_token) uses one.
 *   `response_types_supported` is REQUIRED all the same; its values are the
 *   authorization endpoint's response types, so the truthful list is empty (a value
 *   such as "code" would invite clients to a flow that does not exist).
 * - Clients are public ("none") at the token and revocation endpoints; RFC 8414 reads
 *   an absent list as client_secret_basic, so both are said.
 * - Introspection only when INTROSPECTION_CLIENTS names a client; the route is off otherwise.
 * - No `scopes_supported` (RECOMMENDED): tokens carry no scopes.
 */
export function buildServerMetadata(config: Readonly<Pick<Config, 'publicUrl' | 'jwt' | 'introspectionClients'>>): ServerMetadata {
  const url = (path: string) => `${config.publicUrl}${path}`;
  const introspection = config.introspectionClients.length > 0;
  return {
    issuer: config.jwt.issuer,
    token_endpoint: url('/token'),
    jwks_uri: url('/.well-known/jwks.json'),
    revocation_endpoint: url('/token/revoke'),
    ...(introspection ? { introspection_endpoint: url('/token/introspect') } : {}),
    grant_types_supported: ['password', 'refresh_token'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    ...(introspection ? { introspection_endpoint_auth_methods_supported: ['client_secret_basic'] } : {}),
    service_documentation: url('/docs'),
  };
}
