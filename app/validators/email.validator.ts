import { emailRule, presentedPasswordRule } from './auth.validator';
import { stringField } from './fields';

/**
 * POST /auth/email/verify. Any string of a sane length is looked up: a token of
 * the wrong shape is refused like an unknown one (invalid_token), never as a field.
 */
export const verifyEmailRules = [stringField('token', { min: 1, max: 512 })];

/** PUT /users/me/email (guarded, so req.user names the account) */
export const changeEmailRules = [emailRule(), presentedPasswordRule('current_password')];
