import { body } from 'express-validator';
import { MAX_TOKEN_LENGTH } from '../auth/bearer';
import { stringField } from './fields';

/**
 * POST /token/introspect (RFC 7662 section 2.1). `token` is required; an empty one is
 * simply no token of ours ({"active": false}), one longer than any of ours a 400.
 * `token_type_hint` is never refused: the server must look further when the hint is
 * wrong, and RFC 7662 defines no error for an unknown one, so any value other than
 * the two types is dropped here and the lookups take their usual order.
 */
export const introspectRules = [
  stringField('token', { min: 0, max: MAX_TOKEN_LENGTH }),
  body('token_type_hint').customSanitizer((value: unknown) => (value === 'access_token' || value === 'refresh_token' ? value : undefined)),
];
