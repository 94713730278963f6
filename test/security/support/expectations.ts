import type { IncomingHttpHeaders } from 'node:http';

interface AnyResponse {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  body?: unknown;
  json?: unknown;
}

const bodyOf = (res: AnyResponse): Record<string, unknown> => (res.body ?? res.json ?? {}) as Record<string, unknown>;

/** RFC 6750 section 3: a refused access token is a 401 with a challenge naming invalid_token, and a stable code. */
export function expectAccessRefused(res: AnyResponse, codes: string[] = ['token_invalid']): void {
  const body = bodyOf(res);
  expect({ status: res.status, code: body.code }).toEqual({ status: 401, code: expect.any(String) });
  expect(codes).toContain(body.code);
  expect(body.error).toBe('invalid_token');
  expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer realm="auth-server", error="invalid_token"/);
  expect(body).not.toHaveProperty('access_token');
  expect(body).not.toHaveProperty('id');
}

/** A refresh token that is not one: 401 invalid_grant with a challenge and a code, and no token issued. */
export function expectRefreshRefused(res: AnyResponse, codes: string[] = ['token_invalid']): void {
  const body = bodyOf(res);
  expect({ status: res.status, error: body.error }).toEqual({ status: 401, error: 'invalid_grant' });
  expect(codes).toContain(body.code);
  expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer realm="auth-server"/);
  expect(body).not.toHaveProperty('access_token');
  expect(body).not.toHaveProperty('refresh_token');
}

/** RFC 6750 section 2: a token sent in more than one place is a malformed request. */
export function expectSeveralPlaces(res: AnyResponse): void {
  const body = bodyOf(res);
  expect({ status: res.status, error: body.error, code: body.code }).toEqual({
    status: 400,
    error: 'invalid_request',
    code: 'token_in_several_places',
  });
  expect(body).not.toHaveProperty('access_token');
}

/** Every 401 the server sends carries a WWW-Authenticate challenge and a machine-readable code. */
export function expect401Contract(res: AnyResponse): void {
  if (res.status !== 401) return;
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="auth-server"/);
  expect(bodyOf(res).code).toEqual(expect.any(String));
}
