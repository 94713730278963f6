import type { ErrorRequestHandler } from 'express';
import { BaseError as SequelizeError, ConnectionError, TimeoutError } from 'sequelize';
import { AppError, unavailable } from '../app/errors';
import { fromServiceError } from '../app/errors/from-service';
import { ServiceError } from '../app/services/errors';

interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

// The database is down, unreachable or broken, not the request: SQLite's codes for a locked,
// missing or broken file; the network's; node-postgres's messages for a connection that
// dropped ("Connection terminated unexpectedly") or a query that got no answer within
// query_timeout ("Query read timeout", which Sequelize wraps as a plain DatabaseError).
const UNAVAILABLE_CODES =
  /SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|CORRUPT|NOTADB|MISUSE)|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|connection is closed|Connection terminated|database is closed|Query read timeout|timeout expired|Client has encountered a connection error/;

/** body-parser and friends throw errors carrying a 4xx status; give each its stable code. */
function fromHttpError(err: HttpError): AppError | null {
  const status = err.status ?? err.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  if (status === 413) return new AppError(413, 'payload_too_large', 'body_too_large', { description: 'The request body is too large.' });
  if (status === 415) return new AppError(415, 'unsupported_media_type', 'content_type_unsupported', { description: 'The request body encoding or charset is not supported.' });
  return new AppError(400, 'invalid_request', 'malformed_body', {
    description: err.type === 'entity.parse.failed' ? 'The request body is not valid JSON.' : 'The request could not be read.',
  });
}

function isDatabaseOutage(err: unknown): boolean {
  if (err instanceof ConnectionError || err instanceof TimeoutError) return true;
  const text = err instanceof Error ? `${err.message} ${String((err as { code?: unknown }).code ?? '')}` : '';
  return (err instanceof SequelizeError || err instanceof Error) && UNAVAILABLE_CODES.test(text);
}

/**
 * The one place errors become responses. Known errors keep their status, code and
 * headers; a database outage is a 503; anything else is logged and answered with a
 * generic 500 body. No stack trace or internal message ever leaves the server.
 */
export const errorHandler: ErrorRequestHandler = function errorHandler(err: unknown, req, res, next) {
  let error: AppError;
  if (err instanceof AppError) error = err;
  else if (err instanceof ServiceError) error = fromServiceError(err);
  else if (isDatabaseOutage(err)) error = unavailable(err);
  else error = fromHttpError(err as HttpError) ?? new AppError(500, 'server_error', 'internal_error', { description: 'Internal server error.', cause: err });

  if (error.status >= 500) req.log?.error({ err: error.cause ?? error }, 'request failed');
  if (res.headersSent) return next(err); // too late for a body: let Express end the socket
  res.status(error.status).set(error.headers);
  res.json({
    error: error.error,
    error_description: error.description,
    code: error.code,
    ...(error.fields ? { errors: error.fields } : {}),
  });
};
