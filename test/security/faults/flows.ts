import { randomBytes } from 'node:crypto';
import { call, CallOptions, Reply } from '../../helpers/server-process';

/**
 * The three writes the fault tests load a real server with, over plain HTTP.
 * Usernames and passwords are random so parallel files and restarts never collide,
 * and no password contains its username or is a common one.
 */

let sequence = 0;

export function newCredentials(prefix = 'f'): { username: string; password: string } {
  sequence += 1;
  return {
    username: `${prefix}${sequence}_${randomBytes(4).toString('hex')}`,
    password: `Q${randomBytes(9).toString('base64url')}-7!`,
  };
}

export const register = (port: number, who: { username: string; password: string }, options: CallOptions = {}): Promise<Reply> =>
  call(port, 'POST', '/auth/register', { ...options, json: { username: who.username, password: who.password } });

export const login = (port: number, who: { username: string; password: string }, options: CallOptions = {}): Promise<Reply> =>
  call(port, 'POST', '/token', { ...options, form: { grant_type: 'password', username: who.username, password: who.password } });

export const refresh = (port: number, refreshToken: string, options: CallOptions = {}): Promise<Reply> =>
  call(port, 'POST', '/token/refresh', { ...options, json: { refresh_token: refreshToken } });

export const protectedRoute = (port: number, accessToken: string, options: CallOptions = {}): Promise<Reply> =>
  call(port, 'GET', '/protected', { ...options, headers: { authorization: `Bearer ${accessToken}` } });

/** Registers and logs in; throws unless both succeed. */
export async function session(port: number, prefix?: string) {
  const who = newCredentials(prefix);
  const created = await register(port, who);
  if (created.status !== 201) throw new Error(`register: ${created.status} ${created.text}`);
  const tokens = await login(port, who);
  if (tokens.status !== 200) throw new Error(`login: ${tokens.status} ${tokens.text}`);
  return { ...who, tokens: tokens.body as { access_token: string; refresh_token: string } };
}
