/**
 * PUBLIC_URL: where clients reach this server, the base of every URL it publishes
 * (server metadata, the JWKS address) and, when set, the default `iss` of its tokens. Only
 * an origin with an optional path; the trailing slash is dropped so paths append cleanly.
 */
export function parsePublicUrl(raw: string | undefined, port: number, problems: string[]): string {
  if (raw === undefined) return `http://localhost:${port}`;
  const url = URL.canParse(raw) ? new URL(raw) : null;
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash || raw.includes('#') || raw.includes('?')) {
    problems.push(`PUBLIC_URL must be an http(s) URL with no query or fragment, such as https://auth.example.com (got "${raw}")`);
    return `http://localhost:${port}`;
  }
  return url.href.replace(/\/+$/, '');
}
