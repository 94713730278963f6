import type { Request } from 'express';

// RFC 6750 section 2.1: credentials = "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
// A JWT is far smaller than this; anything longer is refused before any parsing.
export const MAX_TOKEN_LENGTH = 4096;

/** The token of a well-formed `Authorization: Bearer` header, or null. */
export function bearerTokenFromHeader(req: Request): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || header.length > MAX_TOKEN_LENGTH + 16) return null;
  const match = BEARER.exec(header);
  return match ? match[1] : null;
}

/** Node keeps only the first of several Authorization lines; count them in the raw headers. */
function authorizationLines(req: Request): number {
  let lines = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'authorization') lines += 1;
  return lines;
}

/**
 * RFC 6750 section 2: a request carries its token one way only. Several
 * Authorization lines, or the header plus a `tokenField` in the query or body, or
 * the query plus the body, make the request ambiguous; it is refused, and neither
 * copy is used. (The query string is never a valid place, but a copy there still
 * counts: the client is confused and should hear so.) `header: false` leaves the
 * Authorization header out, where it carries something else; `elsewhere` is one
 * more place the caller found a copy in (the refresh cookie).
 */
export function tokenInSeveralPlaces(req: Request, tokenField: string, { header = true, elsewhere = false } = {}): boolean {
  const lines = header ? authorizationLines(req) : 0;
  const places = [
    lines > 0,
    (req.query as Record<string, unknown>)[tokenField] !== undefined,
    (req.body as Record<string, unknown> | undefined)?.[tokenField] !== undefined,
    elsewhere,
  ];
  return lines > 1 || places.filter(Boolean).length > 1;
}
