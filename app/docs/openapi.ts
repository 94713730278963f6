import { mergeApiDocs } from './merge';
import { ApiDocs, error, GUARDED, json, ref, UNAUTHORIZED } from './parts';
import { adminPaths, adminSchemas } from './admin.openapi';
import { passwordResetDocs } from './password-reset.openapi';
import { emailChangeDocs, emailVerificationDocs } from './email.openapi';
import { schemas } from './schemas';
import { basicAuthScheme, introspectionDocs, wellKnownDocs } from './well-known.openapi';

const formOrJson = (name: keyof typeof schemas) => ({
  'application/x-www-form-urlencoded': { schema: ref(name) },
  'application/json': { schema: ref(name) },
});
const throttled = error('Too many requests (Retry-After and RateLimit-* headers)');
const refreshThrottled = error(
  'Too many requests (Retry-After and RateLimit-* headers): AUTH_RATE_LIMIT successful refreshes of this session, or failed refreshes from this address, in a minute. ' +
    'A token of the earlier shape (no session in it) is counted per address with logins.',
);
const csrfRejected = error(
  'csrf_rejected: the request uses the refresh cookie (sends it, or asks for cookie delivery) but its Origin (or Referer) is neither this server nor listed in CORS_ORIGINS, or it has neither header',
);
const delivery = { $ref: '#/components/parameters/RefreshTokenDelivery' };
const setsCookie = {
  'Set-Cookie': {
    description:
      'With Refresh-Token-Delivery: cookie (or when the refresh token came in the cookie): refresh_token=<token>; Max-Age=<refresh_token_expires_in>; Path=/token, and the same on Path=/auth/logout; HttpOnly; SameSite=Strict; Secure (omitted only on plain-http localhost outside production)',
    schema: { type: 'string' },
  },
};
const clearsCookie = {
  'Set-Cookie': { description: 'When the refresh cookie was used: refresh_token=; Expires=Thu, 01 Jan 1970 … on both paths', schema: { type: 'string' } },
};

/** What the server serves beyond its fixed routes. */
export interface DocumentOptions {
  /** POST /token/introspect exists (INTROSPECTION_CLIENTS names a client). */
  introspection?: boolean;
  /** Mail is on (not MAIL_DISABLED): the routes that send or follow mail exist. */
  mail?: boolean;
}

/**
 * The OpenAPI 3 document served at /openapi.json and rendered by Swagger UI at
 * /docs: the server's own routes, then each app resource's docs (`parts`, kept
 * beside its routes and listed in routes/app.routes.ts). Introspection and the
 * mail routes are in it only when their routes are, so the page never offers a 404.
 */
export function buildOpenApiDocument(parts: readonly ApiDocs[] = [], { introspection = false, mail = true }: DocumentOptions = {}) {
  const document = serverDocument();
  if (introspection) Object.assign(document.components.securitySchemes, { basicAuth: basicAuthScheme });
  return mergeApiDocs(document, [wellKnownDocs, ...(introspection ? [introspectionDocs] : []), emailChangeDocs, ...(mail ? [emailVerificationDocs, passwordResetDocs] : []), ...parts]);
}

function serverDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Auth server',
      version: '0.1.0',
      description:
        'Log in at POST /token (form or JSON) to get a short-lived access token and a rotating refresh token. ' +
        'In this page, use Authorize → passwordLogin with johndoe / secret (development seed), then call the guarded routes; ' +
        'admin / admin-secret (also seeded in development) may call the admin routes. ' +
        'Browser front ends send Refresh-Token-Delivery: cookie: the refresh token then travels only in an HttpOnly cookie ' +
        '(never in a body, where scripts could read it), and every request using that cookie must come from this origin or one in CORS_ORIGINS.',
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        passwordLogin: { type: 'oauth2', flows: { password: { tokenUrl: '/token', refreshUrl: '/token/refresh', scopes: {} } } },
        refreshCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'refresh_token',
          description:
            'The refresh token as an HttpOnly, SameSite=Strict cookie on Path=/token and Path=/auth/logout, set when a client asks for Refresh-Token-Delivery: cookie. ' +
            'Sending it together with a refresh token in the header or body is 400 token_in_several_places.',
        },
      },
      parameters: {
        RefreshTokenDelivery: {
          name: 'Refresh-Token-Delivery',
          in: 'header',
          required: false,
          schema: { type: 'string', enum: ['cookie', 'body'] },
          description:
            'cookie: put the refresh token in the refresh_token cookie and leave it out of the response body (browser clients). ' +
            'body or absent: the refresh token is in the body (API clients). A refresh token that arrived in the cookie is always answered with a cookie. Any other value is 400.',
        },
      },
      schemas: { ...schemas, ...adminSchemas },
    },
    paths: {
      '/token': {
        post: {
          tags: ['tokens'],
          summary: 'Log in (password grant) or refresh (refresh_token grant)',
          description:
            'The refresh_token grant follows the rules of POST /token/refresh: the token in body field refresh_token or the refresh_token cookie ' +
            '(one of them; Authorization is not read here), a cookie token answered in the cookie, a refused cookie token (401) clearing the cookie. ' +
            'Rate limits: a login counts against the client address (AUTH_RATE_LIMIT a minute, with registrations) and its failures against the account ' +
            '(LOGIN_FAILURE_LIMIT per 15 minutes); a refresh is limited as at POST /token/refresh.',
          security: [{}, { refreshCookie: [] }],
          parameters: [delivery],
          requestBody: { required: true, content: formOrJson('PasswordGrant') },
          responses: {
            200: { description: 'Tokens issued (Cache-Control: no-store)', headers: setsCookie, content: json('TokenResponse') },
            400: error('invalid_request (a refresh token in two places: token_in_several_places) or unsupported_grant_type'),
            401: error('invalid_grant: wrong username or password, or an unusable refresh token'),
            403: csrfRejected,
            429: error('Too many requests (Retry-After and RateLimit-* headers): a login past the address or account limit, a refresh past the session or address limit'),
          },
        },
      },
      '/token/refresh': {
        post: {
          tags: ['tokens'],
          summary: 'Rotate a refresh token: a new access token and a new refresh token',
          description:
            'Send the refresh token in exactly one place: the refresh_token cookie, Authorization: Bearer <refresh_token>, or body field refresh_token. ' +
            'A token from the cookie gets its successor in the cookie. Replaying a rotated token outside the grace interval revokes its whole session. ' +
            'Rate limits (AUTH_RATE_LIMIT a minute): successful refreshes count against the session the token names, so browsers behind one address ' +
            'each have their own budget; failed ones count against the client address.',
          security: [{}, { bearerAuth: [] }, { refreshCookie: [] }],
          parameters: [delivery],
          requestBody: { required: false, content: formOrJson('RefreshRequest') },
          responses: {
            200: { description: 'Rotated', headers: setsCookie, content: json('TokenResponse') },
            400: error('No refresh token, or one in two places (token_in_several_places)'),
            401: error('invalid_grant: token_invalid, token_expired, token_revoked or refresh_reused'),
            403: csrfRejected,
            429: refreshThrottled,
          },
        },
      },
      '/token/revoke': {
        post: {
          tags: ['tokens'],
          summary: 'Revoke a refresh token and its session (RFC 7009)',
          description: 'The token is body field token or the refresh_token cookie (not both); a cookie is cleared.',
          security: [{}, { refreshCookie: [] }],
          requestBody: { required: false, content: formOrJson('RevokeRequest') },
          responses: {
            200: { description: 'Revoked, or the token was not valid anyway', headers: clearsCookie },
            400: error('token missing, or sent both in the body and the cookie'),
            403: csrfRejected,
          },
        },
      },
      '/auth/register': {
        post: {
          tags: ['account'],
          summary: 'Create an account',
          description: 'With an email: the address is kept unverified and a verification link is mailed to it (written before the 201; none with MAIL_DISABLED).',
          requestBody: { required: true, content: json('RegisterRequest') },
          responses: {
            201: { description: 'Created', content: json('User') },
            400: error('Invalid input, with per-field messages'),
            409: error('username_taken: username not available; email_taken: another account has this address (both compared case-insensitively)'),
            429: throttled,
          },
        },
      },
      '/auth/logout': {
        post: {
          tags: ['account'],
          summary: 'End this session (by its refresh token) or every session ({"all": true})',
          description:
            'This session is named by body field refresh_token or by the refresh_token cookie (not both). ' +
            'With the cookie, or with Refresh-Token-Delivery: cookie, the response clears the cookie.',
          security: GUARDED,
          parameters: [delivery],
          requestBody: { required: false, content: json('LogoutRequest') },
          responses: {
            204: { description: 'Logged out', headers: clearsCookie },
            400: error('Invalid input, or a refresh token both in the body and the cookie'),
            401: UNAUTHORIZED,
            403: csrfRejected,
          },
        },
      },
      '/protected': {
        get: {
          tags: ['examples'],
          summary: 'Example guarded route',
          security: GUARDED,
          responses: { 200: { description: 'The caller', content: json('ProtectedResponse') }, 401: UNAUTHORIZED },
        },
      },
      '/users/me': {
        get: {
          tags: ['account'],
          summary: 'The caller’s profile',
          security: GUARDED,
          responses: { 200: { description: 'Profile', content: json('User') }, 401: UNAUTHORIZED },
        },
      },
      '/users/me/password': {
        put: {
          tags: ['account'],
          summary: 'Change password; ends every other session and returns a fresh token pair',
          security: GUARDED,
          parameters: [delivery],
          requestBody: { required: true, content: json('ChangePasswordRequest') },
          responses: {
            200: { description: 'Changed; new tokens for this client', headers: setsCookie, content: json('TokenResponse') },
            400: error('Invalid new password'),
            401: UNAUTHORIZED,
            403: error('password_incorrect: the current password is wrong; csrf_rejected: cookie delivery asked from a foreign origin'),
            429: error('Too many wrong passwords for this account (LOGIN_FAILURE_LIMIT, counted together with failed logins at /token); Retry-After'),
          },
        },
      },
      '/health': {
        get: {
          tags: ['operations'],
          summary: 'Liveness, database reachability and (with REDIS_URL) whether Redis is up',
          responses: { 200: { description: 'Healthy: the database answers (whatever Redis does)', content: json('Health') }, 503: error('Database unavailable') },
        },
      },
      ...adminPaths,
    },
  };
}
