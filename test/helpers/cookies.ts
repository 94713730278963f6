import { createHash } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import type { Database } from '../../models';

/** Requests in these tests pretend to come from a page served by the app itself at this origin. */
export const HOST = 'localhost:3000';
export const OWN_ORIGIN = `http://${HOST}`;

export interface SetCookie {
  raw: string;
  name: string;
  value: string;
  /** Attribute names lower-cased; flags map to true. */
  attributes: Record<string, string | true>;
}

/** The Set-Cookie headers of a response, parsed. */
export function setCookies(res: request.Response): SetCookie[] {
  const header = res.headers['set-cookie'] as unknown as string[] | undefined;
  return (header ?? []).map((raw) => {
    const [pair, ...attrs] = raw.split('; ');
    const eq = pair.indexOf('=');
    const attributes: Record<string, string | true> = {};
    for (const attr of attrs) {
      const at = attr.indexOf('=');
      if (at === -1) attributes[attr.toLowerCase()] = true;
      else attributes[attr.slice(0, at).toLowerCase()] = attr.slice(at + 1);
    }
    return { raw, name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
  });
}

/** The refresh token a response put in its cookies (the same value on each path), or fails. */
export function cookieToken(res: request.Response): string {
  const values = new Set(setCookies(res).filter((c) => c.name === 'refresh_token').map((c) => c.value));
  if (values.size !== 1) throw new Error(`expected one refresh token in Set-Cookie, got ${JSON.stringify(res.headers['set-cookie'])}`);
  return [...values][0];
}

/** The response clears the refresh cookie on both of its paths (and sets nothing else). */
export function expectCleared(res: request.Response): void {
  expect(setCookies(res).map((c) => c.raw)).toEqual([
    'refresh_token=; Path=/token; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict',
    'refresh_token=; Path=/auth/logout; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict',
  ]);
}

/** A browser-style login: same origin, cookie delivery asked for. */
export async function cookieLogin(app: Express, username: string, password: string) {
  const res = await request(app)
    .post('/token')
    .set('Host', HOST)
    .set('Origin', OWN_ORIGIN)
    .set('Refresh-Token-Delivery', 'cookie')
    .send({ username, password });
  if (res.status !== 200) throw new Error(`cookie login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { accessToken: res.body.access_token as string, refreshToken: cookieToken(res), res };
}

export const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** The stored row of a refresh token (tokens are stored only as SHA-256). */
export const tokenRow = (db: Database, token: string) => db.RefreshToken.findOne({ where: { tokenHash: sha256(token) } });
