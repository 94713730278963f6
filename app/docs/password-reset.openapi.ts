import { ApiDocs, error, json } from './parts';

const emptyObject = { 'application/json': { schema: { type: 'object', additionalProperties: false, description: '{}' } } };

/** POST /auth/password/forgot and /auth/password/reset; merged by app/docs/openapi.ts unless MAIL_DISABLED=true. */
export const passwordResetDocs: ApiDocs = {
  schemas: {
    ForgotPasswordRequest: {
      type: 'object',
      required: ['email'],
      properties: { email: { type: 'string', format: 'email', maxLength: 254, example: 'alice@example.com' } },
    },
    ResetPasswordRequest: {
      type: 'object',
      required: ['token', 'new_password'],
      properties: {
        token: { type: 'string', description: 'The token of the mailed link (PUBLIC_URL/#/reset?token=…), as it stands after token=' },
        new_password: { type: 'string', minLength: 8, maxLength: 256, description: 'The registration policy: 8 to 256 characters (NFKC), not a common password, not containing the username' },
      },
    },
  },
  paths: {
    '/auth/password/forgot': {
      post: {
        tags: ['account'],
        summary: 'Ask for a password-reset link by mail',
        description:
          'Always 202 {} for a well-formed address, with the same headers and about the same time, whether or not an account has it: ' +
          'only an enabled account whose address is verified gets a mail, with a link PUBLIC_URL/#/reset?token=… that works once, for RESET_TOKEN_TTL (30 minutes by default). ' +
          'A new request makes the earlier links stop working. Past MAIL_RATE_LIMIT requests for one address in an hour (3 by default), ' +
          'the answer is still 202 {} and nothing is sent.',
        requestBody: { required: true, content: json('ForgotPasswordRequest') },
        responses: {
          202: { description: 'Accepted (whatever the address)', content: emptyObject },
          400: error('Missing or malformed email, with per-field messages'),
          429: error('Too many requests from this client address (AUTH_RATE_LIMIT a minute; Retry-After and RateLimit-* headers)'),
        },
      },
    },
    '/auth/password/reset': {
      post: {
        tags: ['account'],
        summary: 'Set a new password with the token of a mailed link',
        description:
          'On success every session ends (refresh tokens revoked, earlier access tokens refused), every other reset link stops working, ' +
          'and the account’s address is told by mail. No tokens are issued: log in with the new password at POST /token.',
        requestBody: { required: true, content: json('ResetPasswordRequest') },
        responses: {
          200: { description: 'Password changed', content: emptyObject },
          400: error('invalid_request: code invalid_token for a token that is unknown, expired, used, revoked or not a reset token (one answer for all); validation_failed with per-field messages for a new password the policy refuses'),
          429: error('Too many requests from this client address (AUTH_RATE_LIMIT a minute; Retry-After and RateLimit-* headers)'),
        },
      },
    },
  },
};
