import express, { RequestHandler } from 'express';
import { AppError } from '../app/errors';

const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/** RFC 9112 section 6.3: without Transfer-Encoding or Content-Length a request has no body. */
const hasNoBody = (req: Parameters<RequestHandler>[0]) => req.headers['transfer-encoding'] === undefined && req.headers['content-length'] === undefined;

/**
 * Every endpoint reads JSON or a form, nothing else. A body of any other type
 * (text/plain, multipart, XML, none named) is a 415 before any parser runs, rather
 * than a confusing "field is required". A POST without a body (Content-Length: 0)
 * passes whatever its Content-Type says.
 */
const requireSupportedBody: RequestHandler = function requireSupportedBody(req, _res, next) {
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
const requireObjectBody: RequestHandler = function requireObjectBody(req, _res, next) {
  if (!Array.isArray(req.body)) return next();
  next(new AppError(400, 'invalid_request', 'malformed_body', { description: 'The request body must be a JSON object.' }));
};

/**
 * Reads a JSON or form body (RFC 6749 token requests are forms) within `limit`,
 * after the checks above. A request without a body (every plain GET) skips all of
 * it at once; body-parser would skip it too, but only after work of its own on
 * each of the four steps. A request that carries a body, a GET included, goes
 * through every step.
 */
export function readBody(limit: string): RequestHandler {
  const steps: RequestHandler[] = [
    requireSupportedBody,
    express.json({ limit, strict: true }),
    express.urlencoded({ extended: false, limit, parameterLimit: 20 }),
    requireObjectBody,
  ];
  return function readBody(req, res, next) {
    if (hasNoBody(req)) return next();
    let step = 0;
    const nextStep = (err?: unknown) => (err || step === steps.length ? next(err) : steps[step++](req, res, nextStep));
    nextStep();
  };
}
