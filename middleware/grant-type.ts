import type { RequestHandler } from 'express';
import { AppError } from '../app/errors';

const SUPPORTED = new Set(['password', 'refresh_token']);

/** RFC 6749 section 5.2: an unknown grant_type is its own error, unsupported_grant_type. */
export const requireSupportedGrantType: RequestHandler = function requireSupportedGrantType(req, _res, next) {
  const grant: unknown = req.body?.grant_type;
  if (grant === undefined || (typeof grant === 'string' && SUPPORTED.has(grant))) return next();
  next(
    new AppError(400, 'unsupported_grant_type', 'grant_type_unsupported', {
      description: 'grant_type must be password or refresh_token.',
    }),
  );
};
