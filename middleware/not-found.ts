import type { RequestHandler } from 'express';
import { AppError } from '../app/errors';

export const notFound: RequestHandler = function notFound(req, _res, next) {
  next(new AppError(404, 'not_found', 'route_not_found', { description: `No route for ${req.method} ${req.path}.` }));
};
