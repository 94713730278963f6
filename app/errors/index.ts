import { AppError, ErrorCode, FieldError } from './app-error';

export { AppError } from './app-error';
export type { ErrorCode, FieldError, OAuthError } from './app-error';

/** The realm every bearer challenge names (RFC 6750 section 3). */
export const REALM = 'auth-server';

function quoted(text: string): string {
  return text.replace(/["\\]/g, '');
}

export const invalidRequest = (description: string, fields?: FieldError[], code: ErrorCode = 'validation_failed') =>
  new AppError(400, 'invalid_request', code, { description, fields });

/** Wrong username or password at /token: one answer for both, so nothing tells them apart. */
export const invalidCredentials = () =>
  new AppError(401, 'invalid_grant', 'invalid_credentials', {
    description: 'The username or password is incorrect.',
    headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
  });

/**
 * RFC 6749 section 5.2: client authentication failed (none sent, an unknown client, a
 * wrong secret; one answer for all). The client tried HTTP Basic or should have, so the
 * 401 names that scheme (RFC 7617).
 */
export const invalidClient = () =>
  new AppError(401, 'invalid_client', 'invalid_client', {
    description: 'Client authentication failed: send the credentials of an introspection client as HTTP Basic.',
    headers: { 'WWW-Authenticate': `Basic realm="${REALM}"` },
  });

/** The right password for a disabled account: said only to someone who knows the password. */
export const accountDisabled = () =>
  new AppError(403, 'invalid_grant', 'account_disabled', { description: 'This account is disabled.' });

/** A refresh token that cannot be used (unknown, expired, revoked or replayed). */
export const invalidRefreshToken = (
  code: Extract<ErrorCode, 'token_invalid' | 'token_expired' | 'token_revoked' | 'refresh_reused' | 'token_superseded' | 'account_disabled'>,
  description: string,
) =>
  new AppError(401, 'invalid_grant', code, {
    description,
    headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(description)}"` },
  });

/** RFC 6750 section 3: no credentials at all get a bare challenge, bad ones get error="invalid_token". */
export const missingAccessToken = () =>
  new AppError(401, 'unauthorized', 'token_missing', {
    description: 'An access token is required: send Authorization: Bearer <token>.',
    headers: { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
  });

export const invalidAccessToken = (code: Extract<ErrorCode, 'token_invalid' | 'token_expired' | 'token_revoked' | 'token_stale' | 'account_disabled'>, description: string) =>
  new AppError(401, 'invalid_token', code, {
    description,
    headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="invalid_token", error_description="${quoted(description)}"` },
  });

export const unavailable = (cause?: unknown) =>
  new AppError(503, 'service_unavailable', 'database_unavailable', {
    description: 'The service is temporarily unavailable; try again shortly.',
    headers: { 'Retry-After': '5' },
    cause,
  });

/** RFC 6750 section 3.1: a valid token whose user lacks the permission the route needs. */
export const insufficientScope = (permission: string) => {
  const description = `This needs the permission "${permission}".`;
  return new AppError(403, 'insufficient_scope', 'forbidden', {
    description,
    headers: { 'WWW-Authenticate': `Bearer realm="${REALM}", error="insufficient_scope", error_description="${quoted(description)}", scope="${quoted(permission)}"` },
  });
};
