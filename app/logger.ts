import pino, { Logger } from 'pino';
import type { LogLevel } from '../config';

/** Secrets never reach a log line: credentials, tokens and cookies are censored wherever they would be printed. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.current_password',
  '*.new_password',
  '*.refresh_token',
  '*.access_token',
  '*.token',
];

// Query parameters whose values never reach a log: tokens are not accepted in the query
// string, but a confused client may still send them there, and the URL is logged.
const SECRET_PARAMETER = /token|password|secret|assertion|code|key|auth|session|cookie/i;
const CENSOR = '[REDACTED]';

function parameterName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** The URL with the value of every secret-looking query parameter replaced by [REDACTED]. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const pairs = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_PARAMETER.test(parameterName(name)) ? `${name}=${CENSOR}` : pair;
    });
  return `${url.slice(0, at)}?${pairs.join('&')}`;
}

/** A copy of a parsed query with secret-looking values replaced (the request's own object is left alone). */
export function redactQuery(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, SECRET_PARAMETER.test(name) ? CENSOR : value]));
}

/** Structured JSON logs on stdout (or `destination`, which tests use to read what was written). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: CENSOR } }, destination);
}
