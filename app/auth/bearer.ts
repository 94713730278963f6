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
