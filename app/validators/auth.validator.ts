import { body, ContextRunner } from 'express-validator';
import { stringField } from './fields';

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export const usernameRule = () =>
  stringField('username', {
    min: 3,
    max: 32,
    pattern: USERNAME_PATTERN,
    patternMessage: 'username may contain only letters, digits, "_", "." and "-"',
  });

export const newPasswordRule = (name: string) => stringField(name, { min: PASSWORD_MIN, max: PASSWORD_MAX });

/** Login accepts any stored password (the seeded demo one is short): only type and an upper bound. */
export const presentedPasswordRule = (name: string, when?: ContextRunner) => stringField(name, { min: 1, max: PASSWORD_MAX, when });

export const registerRules = [
  usernameRule(),
  newPasswordRule('password'),
  stringField('email', { min: 3, max: 254, optional: true })
    .bail()
    .isEmail()
    .withMessage('email must be a valid address'),
];

export const logoutRules = [
  stringField('refresh_token', { min: 1, max: 512, optional: true }),
  body('all').optional().isBoolean({ strict: true }).withMessage('all must be true or false'),
];
