import { schemas } from './schemas';

const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof schemas) => ({ 'application/json': { schema: ref(name) } });
const error = (description: string) => ({ description, content: json('Error') });
const formOrJson = (name: keyof typeof schemas) => ({
  'application/x-www-form-urlencoded': { schema: ref(name) },
  'application/json': { schema: ref(name) },
});
const guarded = [{ bearerAuth: [] }, { passwordLogin: [] }];
const unauthorized = error('Missing, invalid, expired or revoked access token (WWW-Authenticate: Bearer …)');
const throttled = error('Too many requests (Retry-After and RateLimit-* headers)');

/** The OpenAPI 3 document served at /openapi.json and rendered by Swagger UI at /docs. */
export function buildOpenApiDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Auth server',
      version: '0.1.0',
      description:
        'Log in at POST /token (form or JSON) to get a short-lived access token and a rotating refresh token. ' +
        'In this page, use Authorize → passwordLogin with johndoe / secret (development seed), then call the guarded routes.',
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        passwordLogin: { type: 'oauth2', flows: { password: { tokenUrl: '/token', refreshUrl: '/token/refresh', scopes: {} } } },
      },
      schemas,
    },
    paths: {
      '/token': {
        post: {
          tags: ['tokens'],
          summary: 'Log in (password grant) or refresh (refresh_token grant)',
          requestBody: { required: true, content: formOrJson('PasswordGrant') },
          responses: {
            200: { description: 'Tokens issued (Cache-Control: no-store)', content: json('TokenResponse') },
            400: error('invalid_request or unsupported_grant_type'),
            401: error('invalid_grant: wrong username or password, or an unusable refresh token'),
            429: throttled,
          },
        },
      },
      '/token/refresh': {
        post: {
          tags: ['tokens'],
          summary: 'Rotate a refresh token: a new access token and a new refresh token',
          description: 'Send the refresh token as Authorization: Bearer <refresh_token> or as body field refresh_token, not both. Replaying a rotated token outside the grace interval revokes its whole session.',
          security: [{}, { bearerAuth: [] }],
          requestBody: { required: false, content: formOrJson('RefreshRequest') },
          responses: {
            200: { description: 'Rotated', content: json('TokenResponse') },
            400: error('No refresh token, or one in two places'),
            401: error('invalid_grant: token_invalid, token_expired, token_revoked or refresh_reused'),
            429: throttled,
          },
        },
      },
      '/token/revoke': {
        post: {
          tags: ['tokens'],
          summary: 'Revoke a refresh token and its session (RFC 7009)',
          requestBody: { required: true, content: formOrJson('RevokeRequest') },
          responses: { 200: { description: 'Revoked, or the token was not valid anyway' }, 400: error('token missing') },
        },
      },
      '/auth/register': {
        post: {
          tags: ['account'],
          summary: 'Create an account',
          requestBody: { required: true, content: json('RegisterRequest') },
          responses: {
            201: { description: 'Created', content: json('User') },
            400: error('Invalid input, with per-field messages'),
            409: error('Username not available'),
            429: throttled,
          },
        },
      },
      '/auth/logout': {
        post: {
          tags: ['account'],
          summary: 'End this session (by its refresh token) or every session ({"all": true})',
          security: guarded,
          requestBody: { required: false, content: json('LogoutRequest') },
          responses: { 204: { description: 'Logged out' }, 400: error('Invalid input'), 401: unauthorized },
        },
      },
      '/protected': {
        get: {
          tags: ['examples'],
          summary: 'Example guarded route',
          security: guarded,
          responses: { 200: { description: 'The caller', content: json('ProtectedResponse') }, 401: unauthorized },
        },
      },
      '/users/me': {
        get: {
          tags: ['account'],
          summary: 'The caller’s profile',
          security: guarded,
          responses: { 200: { description: 'Profile', content: json('User') }, 401: unauthorized },
        },
      },
      '/users/me/password': {
        put: {
          tags: ['account'],
          summary: 'Change password; ends every other session and returns a fresh token pair',
          security: guarded,
          requestBody: { required: true, content: json('ChangePasswordRequest') },
          responses: {
            200: { description: 'Changed; new tokens for this client', content: json('TokenResponse') },
            400: error('Invalid new password'),
            401: unauthorized,
            403: error('password_incorrect: the current password is wrong'),
          },
        },
      },
      '/health': {
        get: {
          tags: ['operations'],
          summary: 'Liveness and database reachability',
          responses: { 200: { description: 'Healthy', content: json('Health') }, 503: error('Database unavailable') },
        },
      },
    },
  };
}
