import { body } from 'express-validator';
import { presentedPasswordRule } from './auth.validator';
import { MAX_TOKEN_LENGTH } from '../auth/bearer';
import { stringField } from './fields';

// Anything token-sized reaches the token check and gets its 401; only absurd sizes are a 400.
const TOKEN_MAX = MAX_TOKEN_LENGTH;
const isPasswordGrant = body('grant_type').optional().equals('password');
const isRefreshGrant = body('grant_type').equals('refresh_token');

/** POST /token: the password grant (the default) or the refresh_token grant (RFC 6749 sections 4.3 and 6). */
export const tokenRules = [
  body('grant_type')
    .optional()
    .custom((value) => value === 'password' || value === 'refresh_token')
    .withMessage('grant_type must be password or refresh_token'),
  stringField('username', { min: 1, max: 256, when: isPasswordGrant }),
  presentedPasswordRule('password', isPasswordGrant),
  // Optional here: the refresh cookie may carry it instead (app/auth/refresh-token-source.ts requires one of them).
  stringField('refresh_token', { min: 1, max: TOKEN_MAX, optional: true, when: isRefreshGrant }),
];

/** POST /token/refresh: the token may instead come in the cookie or a bearer header (app/auth/refresh-token-source.ts). */
export const refreshRules = [stringField('refresh_token', { min: 1, max: TOKEN_MAX, optional: true })];

/** POST /token/revoke (RFC 7009 section 2.1). `token` may instead be the refresh cookie (app/auth/refresh-token-source.ts). */
export const revokeRules = [
  stringField('token', { min: 1, max: TOKEN_MAX, optional: true }),
  body('token_type_hint')
    .optional()
    .custom((value) => value === 'refresh_token' || value === 'access_token')
    .withMessage('token_type_hint must be refresh_token or access_token'),
];
