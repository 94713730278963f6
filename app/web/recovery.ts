import { call } from './api.js';

/**
 * The account-recovery calls that need no session: asking for a reset link,
 * setting a new password with one, and confirming an address. (Resending the
 * verification mail needs the access token and goes through the session.)
 */

/** Always answered 202 for a well-formed address, whether or not an account has it. */
export function requestPasswordReset(email: string): Promise<void> {
  return call('/auth/password/forgot', { method: 'POST', body: { email } });
}

/**
 * Sets the new password. The server issues no tokens here (the person logs in
 * afterwards); the username comes back when the server includes it.
 */
export async function resetPassword(token: string, newPassword: string): Promise<{ username: string | null }> {
  const body = await call<{ username?: unknown } | undefined>('/auth/password/reset', { method: 'POST', body: { token, new_password: newPassword } });
  return { username: typeof body?.username === 'string' ? body.username : null };
}

export function confirmEmail(token: string): Promise<void> {
  return call('/auth/email/verify', { method: 'POST', body: { token } });
}
