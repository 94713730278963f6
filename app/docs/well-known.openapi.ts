import { ApiDocs, error, json, ref } from './parts';

/**
 * What other services read: the key set, the server metadata and (with
 * INTROSPECTION_CLIENTS) token introspection; app/docs/openapi.ts merges them.
 */

const url = (description: string) => ({ type: 'string', format: 'uri', description });
const list = (description: string, example: string[]) => ({ type: 'array', items: { type: 'string' }, description, example });
const cacheControl = (description: string) => ({ 'Cache-Control': { description, schema: { type: 'string' } } });

export const wellKnownDocs: ApiDocs = {
  schemas: {
    JwkSet: {
      type: 'object',
      required: ['keys'],
      description: 'RFC 7517 section 5. Public members only; empty with JWT_ALGORITHM=HS256 (a shared secret is never published).',
      properties: {
        keys: {
          type: 'array',
          items: {
            type: 'object',
            required: ['kty', 'kid'],
            properties: {
              kty: { type: 'string', example: 'EC' },
              kid: { type: 'string' },
              alg: { type: 'string', example: 'ES256' },
              use: { type: 'string', enum: ['sig'] },
              key_ops: { type: 'array', items: { type: 'string', enum: ['verify'] } },
            },
            additionalProperties: true,
          },
        },
      },
    },
    ServerMetadata: {
      type: 'object',
      description: 'RFC 8414 section 2. Every URL starts with PUBLIC_URL.',
      required: ['issuer', 'token_endpoint', 'jwks_uri', 'revocation_endpoint', 'grant_types_supported', 'response_types_supported'],
      properties: {
        issuer: { type: 'string', description: 'The `iss` of every access token: JWT_ISSUER, else PUBLIC_URL, else auth-server' },
        token_endpoint: url('POST /token'),
        jwks_uri: url('GET /.well-known/jwks.json'),
        revocation_endpoint: url('POST /token/revoke'),
        introspection_endpoint: url('POST /token/introspect; only when INTROSPECTION_CLIENTS names a client'),
        grant_types_supported: list('The grants of POST /token', ['password', 'refresh_token']),
        response_types_supported: list('Empty: there is no authorization endpoint, so no response type (the member is REQUIRED)', []),
        token_endpoint_auth_methods_supported: list('Clients are public', ['none']),
        revocation_endpoint_auth_methods_supported: list('Clients are public', ['none']),
        introspection_endpoint_auth_methods_supported: list('With introspection only: HTTP Basic with an INTROSPECTION_CLIENTS name and secret', ['client_secret_basic']),
        service_documentation: url('This page'),
      },
    },
  },
  paths: {
    '/.well-known/jwks.json': {
      get: {
        tags: ['discovery'],
        summary: 'The public keys that verify access tokens (RFC 7517)',
        description: 'Select a key by the `kid` in the token header; fetch the set again when a token names a `kid` not in it.',
        responses: {
          200: { description: 'The key set', headers: cacheControl('public, max-age=<JWKS_MAX_AGE seconds> (600 by default)'), content: json('JwkSet') },
        },
      },
    },
    '/.well-known/oauth-authorization-server': {
      get: {
        tags: ['discovery'],
        summary: 'Server metadata (RFC 8414): the issuer and the endpoints',
        responses: { 200: { description: 'The metadata', headers: cacheControl('public, max-age=3600'), content: json('ServerMetadata') } },
      },
    },
  },
};

/** HTTP Basic with a client of INTROSPECTION_CLIENTS: the only caller of POST /token/introspect. */
export const basicAuthScheme = {
  type: 'http',
  scheme: 'basic',
  description: 'A name and secret from INTROSPECTION_CLIENTS, each form-encoded before joining (RFC 6749 section 2.3.1).',
} as const;

export const introspectionDocs: ApiDocs = {
  schemas: {
    IntrospectionRequest: {
      type: 'object',
      required: ['token'],
      properties: {
        token: { type: 'string', maxLength: 4096, description: 'An access token or a refresh token' },
        token_type_hint: { type: 'string', description: 'access_token or refresh_token: which kind is looked up first. Any other value is ignored; both kinds are always tried.' },
      },
    },
    Introspection: {
      type: 'object',
      required: ['active'],
      description:
        'RFC 7662 section 2.2. Inactive (expired, revoked, rotated, forged, unknown, of a disabled user, …) is exactly {"active": false}. ' +
        'An active access token has token_type access_token with its claims and the username; ' +
        'an active refresh token has token_type refresh_token, sub and exp only. A resource server accepts only token_type access_token.',
      properties: {
        active: { type: 'boolean' },
        token_type: { type: 'string', enum: ['access_token', 'refresh_token'] },
        sub: { type: 'string', format: 'uuid', description: 'The user’s id' },
        username: { type: 'string', description: 'Access tokens only: the user’s name now' },
        roles: { type: 'array', items: { type: 'string' }, description: 'Access tokens only: the role the token carries (the user’s role now, or the token would be inactive)' },
        exp: { type: 'integer', description: 'Seconds since the epoch; for a refresh token, its expiry or its session’s end, whichever comes first' },
        iat: { type: 'integer' },
        iss: { type: 'string' },
        aud: { type: 'string' },
        jti: { type: 'string' },
      },
    },
  },
  paths: {
    '/token/introspect': {
      post: {
        tags: ['discovery'],
        summary: 'Is this token active, and whose is it? (RFC 7662; only with INTROSPECTION_CLIENTS)',
        description:
          'For resource servers. Active means this server would accept the token now: an access token its guard lets through ' +
          '(session not ended, user enabled, role unchanged), or a refresh token rotation would exchange. Reads only; never cached (no-store).',
        security: [{ basicAuth: [] }],
        requestBody: {
          required: true,
          content: { 'application/x-www-form-urlencoded': { schema: ref('IntrospectionRequest') }, 'application/json': { schema: ref('IntrospectionRequest') } },
        },
        responses: {
          200: { description: 'What the token is, or {"active": false}', content: json('Introspection') },
          400: error('invalid_request: token missing, not a string, or longer than 4096 characters'),
          401: error('invalid_client: no, unknown or wrong client credentials (WWW-Authenticate: Basic realm="auth-server")'),
        },
      },
    },
  },
};
