import { ContextRunner, validationResult } from 'express-validator';
import type { FieldError } from '../errors';

/** What express-validator found on a request, one problem per field, in the order of the rules. */
export function fieldErrors(req: unknown): FieldError[] {
  const problems: FieldError[] = [];
  for (const issue of validationResult(req as Parameters<typeof validationResult>[0]).array()) {
    // A check of the whole body (no field of its own) is named after its location.
    const field = issue.type === 'field' ? issue.path || issue.location : issue.type;
    if (!problems.some((p) => p.field === field)) problems.push({ field, message: String(issue.msg) });
  }
  return problems;
}

/**
 * Runs a route's express-validator chains against plain values, as though they were
 * a request body. So code outside HTTP (the users CLI) holds input to the very rules
 * of the API, messages included, instead of a copy of them.
 */
export async function checkFields(rules: ContextRunner[], body: Record<string, unknown>): Promise<FieldError[]> {
  const req = { body };
  for (const rule of rules) await rule.run(req);
  return fieldErrors(req);
}
