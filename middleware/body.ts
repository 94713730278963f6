import type { RequestHandler } from 'express';
import { AppError } from '../app/errors';

const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/**
 * Every endpoint reads JSON or a form, nothing else. A body of any other type
 * (text/plain, multipart, XML, none named) is a 415 before any parser runs, rather
 * than a confusing "field is required". A POST without a body (Content-Length: 0)
 * passes whatever its Content-Type says.
 */
export const requireSupportedBody: RequestHandler = function requireSupportedBody(req, _res, next) {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) !== 0);
  if (!hasBody || req.is(BODY_TYPES)) return next();
  next(
    new AppError(415, 'unsupported_media_type', 'content_type_unsupported', {
      description: 'Send the body as application/json or application/x-www-form-urlencoded.',
    }),
  );
};

/** Valid JSON is not always a valid request: a top-level array (however deep) never is. */
export const requireObjectBody: RequestHandler = function requireObjectBody(req, _res, next) {
  if (!Array.isArray(req.body)) return next();
  next(new AppError(400, 'invalid_request', 'malformed_body', { description: 'The request body must be a JSON object.' }));
};
