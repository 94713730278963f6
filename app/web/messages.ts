import { ApiError, FieldMessage, Unreachable } from './api.js';

export interface Problem {
  message: string;
  fields: FieldMessage[];
}

export const seconds = (n: number): string => `${n} second${n === 1 ? '' : 's'}`;

/** Plain words for every failure the page can meet; the server's own field messages are kept as they are. */
export function describe(error: unknown): Problem {
  if (error instanceof Unreachable) {
    return { message: 'Cannot reach the server. Check your connection and try again.', fields: [] };
  }
  if (!(error instanceof ApiError)) return { message: 'Something went wrong. Please try again.', fields: [] };
  switch (error.status) {
    case 400:
      // A second refresh cookie (planted by another site: cookie tossing) is refused, and only the user can remove it.
      if (error.code === 'refresh_cookie_duplicated') {
        return { message: 'This browser holds two session cookies for this site. Clear this site’s cookies, then log in again.', fields: [] };
      }
      if (error.code === 'invalid_token') return { message: 'This link is invalid or has expired.', fields: [] };
      return { message: 'Please correct the highlighted fields.', fields: error.fields };
    case 401:
      if (error.code === 'invalid_credentials') return { message: 'Wrong username or password.', fields: [] };
      return { message: 'Your session has ended. Please log in again.', fields: [] };
    case 403:
      if (error.code === 'password_incorrect') {
        return { message: 'The current password is incorrect.', fields: [{ field: 'current_password', message: 'Incorrect password' }] };
      }
      return { message: error.description, fields: [] };
    case 409:
      if (error.code === 'email_taken') return { message: error.description, fields: [{ field: 'email', message: error.description }] };
      return { message: error.description, fields: [{ field: 'username', message: error.description }] };
    case 429:
      return { message: `Too many attempts. Try again in ${seconds(error.retryAfter ?? 60)}.`, fields: [] };
    case 503:
      return { message: 'The service is temporarily unavailable. Try again in a few seconds.', fields: [] };
    default:
      return { message: error.status >= 500 ? 'The server had a problem. Please try again.' : error.description, fields: [] };
  }
}
