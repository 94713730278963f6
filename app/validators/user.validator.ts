import { newPasswordRule, presentedPasswordRule } from './auth.validator';

/** PUT /users/me/password (guarded, so req.user names the account) */
export const changePasswordRules = [presentedPasswordRule('current_password'), newPasswordRule('new_password', (req) => req.user?.username)];
