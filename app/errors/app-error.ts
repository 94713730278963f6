/**
 * One error model for the whole server. `error` is the OAuth 2.0 / RFC 6750 error
 * string a client switches on; `code` is the finer, stable reason (a front end uses
 * it to decide between refreshing and logging in again). Only errors below 500
 * show their description to clients.
 */
export type OAuthError =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'service_unavailable'
  | 'server_error';

export type ErrorCode =
  | 'validation_failed'
  | 'malformed_body'
  | 'malformed_http'
  | 'headers_too_large'
  | 'invalid_credentials'
  /** A caller of POST /token/introspect without valid client credentials (RFC 6749 section 5.2). */
  | 'invalid_client'
  | 'password_incorrect'
  | 'grant_type_unsupported'
  | 'token_missing'
  /** A mailed reset or verification token that cannot be used (400 invalid_request). */
  | 'invalid_token'
  | 'token_invalid'
  | 'token_expired'
  | 'token_revoked'
  | 'refresh_reused'
  | 'token_superseded'
  | 'token_stale'
  | 'account_disabled'
  | 'forbidden'
  | 'last_admin'
  | 'user_not_found'
  /** An app resource's NotFound (app/services/errors.ts): note_not_found, … */
  | `${string}_not_found`
  | 'token_in_several_places'
  | 'refresh_cookie_duplicated'
  | 'csrf_rejected'
  | 'username_taken'
  | 'email_taken'
  /** A mailed link's token that is unknown, expired, used, revoked or of another purpose (one answer for all). */
  | 'invalid_token'
  | 'no_email'
  | 'email_already_verified'
  | 'route_not_found'
  | 'body_too_large'
  | 'content_type_unsupported'
  | 'too_many_requests'
  | 'database_unavailable'
  | 'internal_error';

export interface FieldError {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  description?: string;
  fields?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly description: string;
  readonly fields?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly error: OAuthError,
    readonly code: ErrorCode,
    options: AppErrorOptions = {},
  ) {
    super(options.description ?? code, { cause: options.cause });
    this.name = 'AppError';
    this.description = options.description ?? code;
    this.fields = options.fields;
    this.headers = options.headers ?? {};
  }
}
