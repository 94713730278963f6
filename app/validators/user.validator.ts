import { newPasswordRule, presentedPasswordRule } from './auth.validator';

/** PUT /users/me/password */
export const changePasswordRules = [presentedPasswordRule('current_password'), newPasswordRule('new_password')];
