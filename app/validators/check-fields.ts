import { ContextRunner, validationResult } from 'express-validator';
import type { FieldError } from '../errors';

/**
 * Runs a route's express-validator chains against plain values, as though they were
 * a request body, and returns the problems, one per field, in the order of the
 * rules. So code outside HTTP (the users CLI) holds input to the very rules of the
 * API, messages included, instead of a copy of them.
 */
export async function checkFields(rules: ContextRunner[], body: Record<string, unknown>): Promise<FieldError[]> {
  const req = { body };
  for (const rule of rules) await rule.run(req);
  const problems: FieldError[] = [];
  for (const issue of validationResult(req).array()) {
    const field = issue.type === 'field' ? issue.path : issue.type;
    if (!problems.some((p) => p.field === field)) problems.push({ field, message: String(issue.msg) });
  }
  return problems;
}
