import { ApiDocs, error, GUARDED, json, UNAUTHORIZED } from './parts';

/**
 * The account's address (routes/email.routes.ts); app/docs/openapi.ts merges
 * these. Following a link and asking for one exist only while mail is on.
 */

export const emailChangeDocs: ApiDocs = {
  paths: {
    '/users/me/email': {
      put: {
        tags: ['account'],
        summary: 'Change the email address; the new one is unverified until its owner follows the link mailed to it',
        description:
          'Every earlier verification link stops working; the new address gets one, and the former address (if any) a notice that names the new one masked (j***@example.com) and carries no link. ' +
          'The same address written with other capitals changes only its spelling: it stays verified, and no mail is sent. With MAIL_DISABLED the address changes and no mail is written.',
        security: GUARDED,
        requestBody: { required: true, content: json('ChangeEmailRequest') },
        responses: {
          200: { description: 'Changed: the profile, email_verified false', content: json('User') },
          400: error('Invalid input, with per-field messages'),
          401: UNAUTHORIZED,
          403: error('password_incorrect: the current password is wrong'),
          409: error('email_taken: another account has this address (compared case-insensitively)'),
          429: error('Too many wrong passwords for this account (LOGIN_FAILURE_LIMIT, counted together with failed logins at /token); Retry-After'),
        },
      },
    },
  },
  schemas: {
    ChangeEmailRequest: {
      type: 'object',
      required: ['email', 'current_password'],
      properties: {
        email: { type: 'string', format: 'email', maxLength: 254, example: 'alice@example.org' },
        current_password: { type: 'string', format: 'password' },
      },
    },
  },
};

export const emailVerificationDocs: ApiDocs = {
  paths: {
    '/auth/email/verify': {
      post: {
        tags: ['account'],
        summary: 'Confirm an email address with the token of a verification link',
        description:
          'The link is PUBLIC_URL/#/verify?token=…: the page reads the token from the fragment and posts it here. No access token is needed (the link may be opened on another device). ' +
          'A token works once, for EMAIL_VERIFY_TTL (24 hours by default), and only while the address it was sent to is still the account’s. Absent with MAIL_DISABLED (404).',
        requestBody: { required: true, content: json('VerifyEmailRequest') },
        responses: {
          200: { description: 'The address is verified', content: json('EmailVerified') },
          400: error('invalid_token: unknown, expired, used, revoked or not a verification token (one answer for all); validation_failed: no token, with per-field messages'),
          429: error('Too many requests from this address (AUTH_RATE_LIMIT a minute); Retry-After'),
        },
      },
    },
    '/auth/email/resend': {
      post: {
        tags: ['account'],
        summary: 'Mail a new verification link to the caller’s unverified address',
        description: 'Every earlier verification link stops working. Absent with MAIL_DISABLED (404).',
        security: GUARDED,
        responses: {
          202: { description: 'The mail is written and on its way: {}', content: { 'application/json': { schema: { type: 'object', additionalProperties: false } } } },
          401: UNAUTHORIZED,
          409: error('no_email: the account has no address (set one with PUT /users/me/email); email_already_verified: nothing to verify'),
          429: error('More than MAIL_RATE_LIMIT (default 3) verification mails asked for by this account in an hour; Retry-After'),
        },
      },
    },
  },
  schemas: {
    VerifyEmailRequest: { type: 'object', required: ['token'], properties: { token: { type: 'string', description: 'The token of the verification link' } } },
    EmailVerified: { type: 'object', required: ['email_verified'], properties: { email_verified: { type: 'boolean', enum: [true] } } },
  },
};
