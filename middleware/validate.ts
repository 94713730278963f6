import type { RequestHandler } from 'express';
import type { ContextRunner } from 'express-validator';
import { invalidRequest } from '../app/errors';
import { fieldErrors } from '../app/validators/check-fields';

/** Runs express-validator chains and turns their findings into one 400 invalid_request with per-field messages. */
export function validate(rules: ContextRunner[]): RequestHandler {
  return async function validateRequest(req, _res, next) {
    for (const rule of rules) await rule.run(req);
    const fields = fieldErrors(req);
    if (fields.length === 0) return next();
    next(invalidRequest(fields.map((f) => f.message).join('; '), fields));
  };
}
