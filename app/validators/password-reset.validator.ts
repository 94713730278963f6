import { newPasswordRule } from './auth.validator';
import { stringField } from './fields';

/** POST /auth/password/forgot: a syntactically valid address; whether anyone has it is never said. */
export const forgotPasswordRules = [
  stringField('email', { min: 3, max: 254 })
    .bail()
    .isEmail()
    .withMessage('email must be a valid address'),
];

/**
 * POST /auth/password/reset: any string is a token to look up (a malformed one is
 * just unknown, with the one answer for every unusable token); the new password
 * meets the registration policy. The username is not in the request: the service
 * checks that part once it knows the account.
 */
export const resetPasswordRules = [stringField('token', { min: 1, max: 512 }), newPasswordRule('new_password', () => undefined)];
