import type { ErrorRequestHandler } from 'express';
import { ConnectionError, TimeoutError } from 'sequelize';
import { AppError, unavailable } from '../app/errors';
import { fromServiceError } from '../app/errors/from-service';
import { ServiceError } from '../app/services/errors';

interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

// What says "the database is down, unreachable or out of room", never read from a message
// (a message can quote anything, a value a user sent included), except where noted.
// Node's system errors for a peer that went away or never answered:
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLite's result codes (primary, or extended as SQLITE_IOERR_WRITE) for a file that is
// locked, missing, unreadable, full, read-only, broken or already closed:
const SQLITE_OUTAGE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|CORRUPT|NOTADB|MISUSE)(_|$)/;
// PostgreSQL's SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html):
// class 08 connection exception, class 53 insufficient resources (disk full, out of
// memory, too many connections), 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
// cannot_connect_now, 58030 io_error (PostgreSQL's SQLITE_IOERR); and the transient ones
// a retry gets past: 40001 serialization_failure, 40P01 deadlock_detected, 57014
// query_canceled (a statement timeout). None is the request's fault, so none is a 500.
const isPostgresOutage = (sqlstate: string) => /^(08|53)/.test(sqlstate) || ['57P01', '57P02', '57P03', '58030', '40001', '40P01', '57014'].includes(sqlstate);
// node-postgres fails a query with a plain Error, no code and nothing else to tell it by,
// when the connection ends under it ("Connection terminated unexpectedly"; "Connection
// terminated" while it was closing), when query_timeout passes without an answer ("Query
// read timeout", which Sequelize itself recognises by this exact message), and when the
// client is already broken or closed (pg/lib/client.js). Only for these is the message
// the test, compared whole. (Failures while connecting reach us as Sequelize's
// ConnectionError, and pg-pool's own messages never do: Sequelize pools by itself.)
const PG_CONNECTION_LOST = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
]);

interface DriverError {
  code?: unknown;
  severity?: unknown;
  original?: unknown;
  parent?: unknown;
}

/** One error's own verdict: true or false when it says, null when it does not. */
function outageVerdict(err: Error): boolean | null {
  if (err instanceof ConnectionError || err instanceof TimeoutError) return true; // refused, timed out, no pool slot; SQLITE_BUSY
  const { code, severity } = err as DriverError;
  if (typeof code === 'string') {
    // node-postgres's DatabaseError (pg-protocol) carries a SQLSTATE and a severity.
    if (typeof severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) return isPostgresOutage(code);
    if (NETWORK_CODES.has(code) || SQLITE_OUTAGE.test(code)) return true;
    return null;
  }
  if (code === undefined && err.name === 'Error' && PG_CONNECTION_LOST.has(err.message)) return true;
  return null;
}

/**
 * Whether an error means the database is unavailable (a 503 the client may retry)
 * rather than a fault in this request (a 500): by Sequelize's error classes, then by
 * the codes on the error and on what it wraps (a Sequelize error's `original`, an
 * error's `cause`), which is where the driver's own error sits.
 */
export function isDatabaseOutage(err: unknown): boolean {
  let current: unknown = err;
  // Error-like, not `instanceof Error`: the errors Node makes (ECONNREFUSED) come from another realm under jest.
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 4; depth += 1) {
    const verdict = outageVerdict(current as Error);
    if (verdict !== null) return verdict;
    const wrapped = current as DriverError & { cause?: unknown };
    current = wrapped.original ?? wrapped.parent ?? wrapped.cause;
  }
  return false;
}

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
