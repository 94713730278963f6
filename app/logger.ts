import pino, { Logger } from 'pino';
import type { LogLevel } from '../config';

/** Secrets never reach a log line: credentials, tokens and cookies are censored wherever they would be printed. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
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

/** Structured JSON logs on stdout (or `destination`, which tests use to read what was written). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } }, destination);
}
