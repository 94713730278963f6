import type { ErrorRequestHandler } from 'express';

/**
 * Express refuses a path parameter whose percent-encoding cannot be decoded
 * ("/admin/users/%ZZ") before any handler of its route runs, as a bare 400
 * (router's decodeParam). Registered after a table's routes, this says it as
 * `refusal()` instead: for an id, the answer any other id that names nobody gets.
 */
export function undecodableParam(refusal: () => Error): ErrorRequestHandler {
  return function undecodableParam(err, _req, _res, next) {
    const undecodable = err instanceof URIError && (err as URIError & { status?: number }).status === 400;
    next(undecodable ? refusal() : err);
  };
}
