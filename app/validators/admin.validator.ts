import { body, query } from 'express-validator';
import { isRole, ROLES } from '../auth/permissions';

export const LIST_LIMIT = { min: 1, max: 200, default: 50 } as const;

const isString = (value: unknown) => typeof value === 'string';

/**
 * GET /admin/users. A repeated parameter arrives as an array and is refused. The
 * cursor is only checked to be text here: what it means is the service's business
 * (an unknown one is the same 400, from app/errors/from-service.ts).
 */
export const listUsersRules = [
  query('limit')
    .optional()
    .custom((value) => isString(value) && /^\d{1,3}$/.test(value) && Number(value) >= LIST_LIMIT.min && Number(value) <= LIST_LIMIT.max)
    .withMessage(`limit must be a whole number from ${LIST_LIMIT.min} to ${LIST_LIMIT.max}`)
    .bail()
    .toInt(),
  query('cursor').optional().custom(isString).withMessage('cursor is not one this server handed out'),
  query('q').optional().custom(isString).withMessage('q must be a string'),
];

/**
 * PATCH /admin/users/:id: role, disabled or both. A form can only say "true" or
 * "false"; JSON may say true or false. The value reaches the controller as a boolean.
 */
export const updateUserRules = [
  body()
    .custom((fields: unknown) => typeof fields === 'object' && fields !== null && ('role' in fields || 'disabled' in fields))
    .withMessage('send role, disabled or both'),
  body('role').optional().custom(isRole).withMessage(`role must be one of: ${ROLES.join(', ')}`),
  body('disabled')
    .optional()
    .custom((value) => value === true || value === false || value === 'true' || value === 'false')
    .withMessage('disabled must be true or false')
    .bail()
    .customSanitizer((value) => value === true || value === 'true'),
];
