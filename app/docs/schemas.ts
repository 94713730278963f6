/** OpenAPI component schemas: the shapes every response and request body takes. */
export const schemas = {
  Error: {
    type: 'object',
    required: ['error', 'error_description', 'code'],
    properties: {
      error: { type: 'string', description: 'OAuth 2.0 / RFC 6750 error', example: 'invalid_grant' },
      error_description: { type: 'string', example: 'The username or password is incorrect.' },
      code: {
        type: 'string',
        description:
          'Stable machine-readable reason. On 401: token_missing, token_invalid, token_expired (refresh and retry), token_revoked or refresh_reused (log in again), invalid_credentials. ' +
          'On 403: password_incorrect, csrf_rejected, account_disabled, forbidden (error insufficient_scope). On 404: user_not_found. On 400: validation_failed, invalid_token (a mailed link’s token). On 409: username_taken, email_taken, no_email, email_already_verified, last_admin.',
        example: 'invalid_credentials',
      },
      errors: {
        type: 'array',
        description: 'Per-field messages (400 only)',
        items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
      },
    },
  },
  TokenResponse: {
    type: 'object',
    required: ['access_token', 'token_type', 'expires_in', 'refresh_token_expires_in'],
    properties: {
      access_token: { type: 'string', description: 'HS256 JWT (typ at+jwt) with sub, iat, exp, jti, iss, aud' },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer', description: 'Access token lifetime in seconds', example: 900 },
      refresh_token: {
        type: 'string',
        description:
          'Single use: each refresh returns a new one. `<session>.<secret>` (66 characters: the session id, a dot, 256 bits, all base64url); ' +
          'clients should treat it as opaque. Absent with cookie delivery: it is then only in the HttpOnly refresh_token cookie.',
      },
      refresh_token_expires_in: { type: 'integer', description: 'Remaining lifetime of the refresh token in seconds (the cookie’s Max-Age)', example: 2592000 },
    },
  },
  PasswordGrant: {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      grant_type: { type: 'string', enum: ['password', 'refresh_token'], default: 'password' },
      username: { type: 'string', example: 'johndoe' },
      password: { type: 'string', format: 'password', example: 'secret' },
      refresh_token: { type: 'string', description: 'With grant_type=refresh_token (RFC 6749 section 6), unless the browser sends the refresh_token cookie instead' },
    },
  },
  RefreshRequest: {
    type: 'object',
    properties: { refresh_token: { type: 'string', description: 'Or send it as Authorization: Bearer <refresh_token>, or let the browser send the refresh_token cookie' } },
  },
  RevokeRequest: {
    type: 'object',
    properties: {
      token: { type: 'string', description: 'A refresh token; required unless the refresh_token cookie is sent instead' },
      token_type_hint: { type: 'string', enum: ['refresh_token', 'access_token'] },
    },
  },
  RegisterRequest: {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      username: { type: 'string', pattern: '^[A-Za-z0-9_.-]{3,32}$', example: 'alice' },
      password: {
        type: 'string',
        format: 'password',
        minLength: 8,
        maxLength: 256,
        description: 'Compared in Unicode NFKC form (composed and decomposed accents, fullwidth and plain letters are one password), otherwise used exactly as sent; 8 to 256 code points of that form; not a common or breached password; must not contain the username',
      },
      email: { type: 'string', format: 'email', maxLength: 254, example: 'alice@example.com', description: 'Kept as given, unique among accounts case-insensitively' },
    },
  },
  LogoutRequest: {
    type: 'object',
    properties: {
      refresh_token: { type: 'string', description: 'Ends the session this refresh token belongs to (cookie clients send the cookie instead)' },
      all: { type: 'boolean', description: 'Ends every session of the user and refuses all earlier access tokens' },
    },
  },
  ChangePasswordRequest: {
    type: 'object',
    required: ['current_password', 'new_password'],
    properties: {
      current_password: { type: 'string', format: 'password' },
      new_password: {
        type: 'string',
        format: 'password',
        minLength: 8,
        maxLength: 256,
        description: 'Same policy as at registration: 8 to 256 code points, not common or breached, not containing the username',
      },
    },
  },
  User: {
    type: 'object',
    required: ['id', 'username', 'email', 'email_verified', 'created_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      username: { type: 'string' },
      email: { type: 'string', nullable: true },
      email_verified: { type: 'boolean', description: 'Whether the owner of email followed a verification link since it became the account’s address; false without an address' },
      created_at: { type: 'string', format: 'date-time' },
    },
  },
  ProtectedResponse: {
    type: 'object',
    required: ['id', 'username'],
    properties: { id: { type: 'string', format: 'uuid' }, username: { type: 'string' } },
  },
  Health: {
    type: 'object',
    required: ['status'],
    properties: {
      status: { type: 'string', enum: ['ok'] },
      redis: {
        type: 'string',
        enum: ['up', 'down'],
        description:
          'Only when REDIS_URL is set. up: rate limits are counted in Redis, shared by every instance. ' +
          'down: Redis is unreachable; logins work on and the limits are counted per process until it is back (the status stays 200).',
      },
    },
  },
} as const;
