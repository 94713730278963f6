import {
  CallerSessionEnded,
  EmailAlreadyVerified,
  EmailTaken,
  InvalidAccountToken,
  InvalidCursor,
  NewPasswordRefused,
  LastAdmin,
  NoEmail,
  NotFound,
  PasswordIncorrect,
  RefreshTokenRefused,
  ServiceError,
  UsernameTaken,
} from '../services/errors';
import { AppError } from './app-error';
import { invalidAccessToken, invalidRefreshToken, invalidRequest } from '.';

/**
 * A service's refusal as HTTP: a refused refresh token is the grant's 401
 * invalid_grant (RFC 6749 section 5.2) with a bearer challenge; a caller whose
 * session ended meanwhile gets the access-token 401 (RFC 6750 section 3.1), which
 * tells a front end to log in again; a wrong current password is a 403, not a
 * 401 (front ends read 401 as "refresh your token").
 */
export function fromServiceError(error: ServiceError): AppError {
  if (error instanceof RefreshTokenRefused) return invalidRefreshToken(error.code, error.description);
  if (error instanceof CallerSessionEnded) return invalidAccessToken('token_revoked', error.description);
  if (error instanceof PasswordIncorrect) return new AppError(403, 'invalid_grant', 'password_incorrect', { description: error.description });
  if (error instanceof UsernameTaken) return new AppError(409, 'conflict', 'username_taken', { description: error.description });
  if (error instanceof EmailTaken) return new AppError(409, 'conflict', 'email_taken', { description: error.description });
  // A mailed link's token is input like any other: a 400, never a 401 (which front ends read as "refresh your access token").
  if (error instanceof InvalidAccountToken) return invalidRequest(error.description, undefined, 'invalid_token');
  if (error instanceof NoEmail) return new AppError(409, 'conflict', 'no_email', { description: error.description });
  if (error instanceof EmailAlreadyVerified) return new AppError(409, 'conflict', 'email_already_verified', { description: error.description });
  if (error instanceof NotFound) return new AppError(404, 'not_found', error.code, { description: error.description });
  // The cursor is a query parameter: its refusal reads like any other field's.
  if (error instanceof InvalidCursor) return invalidRequest(error.description, [{ field: 'cursor', message: error.description }]);
  if (error instanceof NewPasswordRefused) return invalidRequest(error.description, [{ field: error.field, message: error.description }]);
  if (error instanceof LastAdmin) return new AppError(409, 'conflict', 'last_admin', { description: error.description });
  return new AppError(500, 'server_error', 'internal_error', { description: 'Internal server error.', cause: error });
}
