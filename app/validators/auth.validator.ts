import { body, ContextRunner, Meta } from 'express-validator';
import { codePoints, stringField } from './fields';
import { containsUsername, isCommonPassword, PASSWORD_MAX, PASSWORD_MIN, passwordLength } from './password-policy';

export { PASSWORD_MAX, PASSWORD_MIN } from './password-policy';
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;

export const usernameRule = () =>
  stringField('username', {
    min: 3,
    max: 32,
    pattern: USERNAME_PATTERN,
    patternMessage: 'username may contain only letters, digits, "_", "." and "-"',
  });

/**
 * A password being set (registration, change): the length rule, then the
 * blocklist, then the username, each with its own message so the client can say
 * why. `usernameOf` finds the account's name in the request.
 */
export const newPasswordRule = (name: string, usernameOf: (req: Meta['req']) => unknown) =>
  stringField(name, { min: PASSWORD_MIN, max: PASSWORD_MAX, length: passwordLength })
    .bail()
    .custom((value: string) => !isCommonPassword(value))
    .withMessage(`${name} is too common: it appears in lists of breached passwords; choose another`)
    .bail()
    .custom((value: string, { req }) => {
      const username = usernameOf(req);
      return typeof username !== 'string' || !containsUsername(value, username);
    })
    .withMessage(`${name} must not contain the username`);

/**
 * Login accepts any stored password (the seeded demo one is short): only type and an upper bound.
 * The bound holds when either form fits: a new password is bounded in its NFKC form, which can be
 * shorter than as sent (combining accents), and one set before normalisation was bounded as sent,
 * which NFKC can make longer (ligatures such as "ﬁ"). Either way its owner can still send it.
 */
export const presentedPasswordRule = (name: string, when?: ContextRunner) =>
  stringField(name, { min: 1, max: PASSWORD_MAX, when, length: (value) => Math.min(codePoints(value), passwordLength(value)) });

/** An email address: at most 254 characters (RFC 5321's limit on a path), in the form isEmail accepts. */
export const emailRule = (options: { optional?: boolean } = {}) =>
  stringField('email', { min: 3, max: 254, optional: options.optional })
    .bail()
    .isEmail()
    .withMessage('email must be a valid address');

export const registerRules = [usernameRule(), newPasswordRule('password', (req) => req.body?.username), emailRule({ optional: true })];

export const logoutRules = [
  stringField('refresh_token', { min: 1, max: 512, optional: true }),
  // A form can only say "true"; JSON may say true. Anything else (1, "yes", [], {}) is refused,
  // and the value reaches the controller as a real boolean.
  body('all')
    .optional()
    .custom((value) => value === true || value === false || value === 'true' || value === 'false')
    .withMessage('all must be true or false')
    .bail()
    .customSanitizer((value) => value === true || value === 'true'),
];
