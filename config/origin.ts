/**
 * Reads one CORS_ORIGINS entry as a web origin (RFC 6454), with the WHATWG URL
 * parser that browsers use, and returns it serialized the way a browser sends it
 * in the Origin header: scheme and host lower-cased, an international host in
 * punycode, the default port (80 for http, 443 for https) dropped. The middleware
 * then compares that header with the list byte for byte.
 *
 * Returns null for anything that is not an origin: another scheme, user info, a
 * path, a query or a fragment (even an empty `?` or `#`), a `*` (there are no
 * wildcards; list each origin), or text the parser has to repair into a URL
 * (`https:app.example.com`). A lone trailing slash is allowed and dropped: it is
 * how an address bar shows an origin, and it cannot mean anything else.
 */
export function normalizeOrigin(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!text.toLowerCase().startsWith(`${url.protocol}//`)) return null;
  if (url.hostname.includes('*')) return null;
  // Everything past the origin (user info, path, query, fragment) shows up in href.
  if (url.href !== `${url.origin}/`) return null;
  return url.origin;
}
