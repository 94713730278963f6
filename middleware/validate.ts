import type { RequestHandler } from 'express';
import { ContextRunner, validationResult } from 'express-validator';
import { FieldError, invalidRequest } from '../app/errors';

/** Runs express-validator chains and turns their findings into one 400 invalid_request with per-field messages. */
export function validate(rules: ContextRunner[]): RequestHandler {
  return async function validateRequest(req, _res, next) {
    for (const rule of rules) await rule.run(req);
    const result = validationResult(req);
    if (result.isEmpty()) return next();
    const fields: FieldError[] = [];
    for (const issue of result.array()) {
      // A check of the whole body (no field of its own) is named after its location.
      const field = issue.type === 'field' ? issue.path || issue.location : issue.type;
      if (!fields.some((f) => f.field === field)) fields.push({ field, message: String(issue.msg) });
    }
    next(invalidRequest(fields.map((f) => f.message).join('; '), fields));
  };
}
