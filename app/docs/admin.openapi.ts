import { ROLES } from '../auth/permissions';
import { error, GUARDED, json, ref, UNAUTHORIZED } from './parts';

/**
 * The admin API's part of the OpenAPI document (app/docs/openapi.ts merges it):
 * its paths and the schemas only they use. Every route wants an access token of a
 * role with users:manage.
 */


const forbidden = error('insufficient_scope (code forbidden): the caller’s role lacks users:manage (WWW-Authenticate: Bearer … error="insufficient_scope", scope="users:manage")');
const notFound = error('user_not_found: no user has that id (also for a string that is no id at all)');
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'The user’s id' };

export const adminSchemas = {
  AdminUser: {
    type: 'object',
    required: ['id', 'username', 'email', 'role', 'disabled', 'created_at', 'updated_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      username: { type: 'string' },
      email: { type: 'string', nullable: true },
      role: { type: 'string', enum: [...ROLES] },
      disabled: { type: 'boolean', description: 'A disabled account cannot log in, refresh, or use any access token' },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
  AdminUserPage: {
    type: 'object',
    required: ['users', 'next_cursor'],
    properties: {
      users: { type: 'array', items: ref('AdminUser') },
      next_cursor: { type: 'string', nullable: true, description: 'Send as cursor for the next page; null on the last page' },
    },
  },
  AdminUserChange: {
    type: 'object',
    description: 'role, disabled or both',
    properties: {
      role: { type: 'string', enum: [...ROLES] },
      disabled: { type: 'boolean', description: 'true disables the account and ends every session; false enables it (a form sends "true" or "false")' },
    },
  },
} as const;

export const adminPaths = {
  '/admin/users': {
    get: {
      tags: ['admin'],
      summary: 'List users, a page at a time (users:manage)',
      description:
        'Users ordered by username (case-insensitively), limit at a time. Follow next_cursor until it is null; ' +
        'users created or removed meanwhile never make another one repeat or go missing.',
      security: GUARDED,
      parameters: [
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'next_cursor of the previous page (opaque)' },
        {
          name: 'q',
          in: 'query',
          required: false,
          schema: { type: 'string' },
          description: 'Only usernames starting with this, case ignored; % and _ are plain characters. A q no username could start with finds nobody.',
        },
      ],
      responses: {
        200: { description: 'One page of users', content: json('AdminUserPage') },
        400: error('limit not a whole number from 1 to 200, a cursor this server did not hand out, or a parameter sent twice; per-field messages'),
        401: UNAUTHORIZED,
        403: forbidden,
      },
    },
  },
  '/admin/users/{id}': {
    get: {
      tags: ['admin'],
      summary: 'One user (users:manage)',
      security: GUARDED,
      parameters: [id],
      responses: { 200: { description: 'The user', content: json('AdminUser') }, 401: UNAUTHORIZED, 403: forbidden, 404: notFound },
    },
    patch: {
      tags: ['admin'],
      summary: 'Change a user’s role or disable/enable the account (users:manage)',
      description:
        'A role change refuses the user’s earlier access tokens as stale (token_stale; a refresh carries the new role). ' +
        'Disabling ends every session at once. The change is logged as an admin action.',
      security: GUARDED,
      parameters: [id],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref('AdminUserChange') }, 'application/x-www-form-urlencoded': { schema: ref('AdminUserChange') } },
      },
      responses: {
        200: { description: 'The user as changed', content: json('AdminUser') },
        400: error('Neither role nor disabled, an unknown role, or disabled not true/false; per-field messages'),
        401: UNAUTHORIZED,
        403: forbidden,
        404: notFound,
        409: error('last_admin: the change would leave no enabled admin'),
      },
    },
  },
  '/admin/users/{id}/sessions/revoke': {
    post: {
      tags: ['admin'],
      summary: 'End every session of a user (users:manage)',
      description: 'Their refresh tokens and earlier access tokens are refused at once; they can log in again. Logged as an admin action.',
      security: GUARDED,
      parameters: [id],
      responses: { 204: { description: 'Every session ended' }, 401: UNAUTHORIZED, 403: forbidden, 404: notFound },
    },
  },
} as const;
