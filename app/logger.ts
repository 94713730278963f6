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

/** What a logged error may show: the codes a database or the OS gave it, and the names of schema objects. */
const SAFE_ERROR_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'severity', 'schema', 'table', 'column', 'dataType', 'constraint', 'index'];

// SQLSTATE classes whose messages quote only names (of relations, columns, constraints,
// roles, databases, files): connection, integrity constraint, transaction state,
// authorization, catalog, schema, rollback, syntax or access rule (but 42601, below),
// insufficient resources, object state, operator intervention, system and internal errors.
const NAMES_ONLY_CLASSES = new Set(['08', '23', '25', '28', '3D', '3F', '40', '42', '53', '55', '57', '58', 'XX']);
// Data exceptions (class 22) quote the offending value ('invalid input syntax for type
// integer: "…"') or put it after the last colon ('invalid byte sequence for encoding
// "UTF8": 0x00'); a syntax error (42601) quotes the token it stopped at.
const QUOTES_VALUES = (sqlstate: string) => sqlstate.startsWith('22') || sqlstate === '42601';

interface ErrorFields {
  code?: unknown;
  severity?: unknown;
  original?: unknown;
  fields?: unknown;
  errors?: unknown;
  [key: string]: unknown;
}

/** node-postgres's DatabaseError (pg-protocol): a SQLSTATE and a severity; duck-typed so SQLite-only servers never load pg. */
function sqlstateOf(err: ErrorFields): string | null {
  return typeof err.severity === 'string' && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code) ? err.code : null;
}

/**
 * A PostgreSQL message with the request's values taken out. Messages of classes that
 * quote only names stay whole; data exceptions and syntax errors lose what they quote
 * and what follows their last colon; any other class (a RAISE in a trigger says
 * anything) is reduced to its SQLSTATE.
 */
function postgresMessage(message: string, sqlstate: string): string {
  if (NAMES_ONLY_CLASSES.has(sqlstate.slice(0, 2)) && sqlstate !== '42601') return message;
  if (!QUOTES_VALUES(sqlstate)) return `${CENSOR} (SQLSTATE ${sqlstate})`;
  return message.replace(/"(?:[^"]|"")*"/g, `"${CENSOR}"`).replace(/: (?!")[^"]*$/, `: ${CENSOR}`);
}

/**
 * pino's `err` serializer, by allow-list. pino's own copies every enumerable property,
 * and a database error carries the request's values in several: Sequelize puts the
 * statement (`sql`, with replacements inlined) and its bound `parameters` (an argon2
 * hash, a token's digest) on its error and again on `original`/`parent`; node-postgres
 * adds the failing row (`detail`), `where` and `internalQuery`; a UniqueConstraintError
 * keeps the duplicate values in `fields` and `errors`. What is kept: the class, the
 * message (a PostgreSQL one as postgresMessage leaves it), the stack,
 * the codes and schema names from SAFE_ERROR_FIELDS (a Sequelize error's from its
 * `original`, where the driver put them), the names of `fields`, and `cause` and
 * `errors` (an AggregateError's, a ValidationError's items) serialized the same way.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!isErrorLike(err)) return err;
  const fields = err as unknown as ErrorFields;
  const driver = (isErrorLike(fields.original) ? fields.original : err) as unknown as ErrorFields;
  const type = (typeof err.constructor === 'function' && err.constructor.name) || err.name;
  const sqlstate = sqlstateOf(driver);
  const message = sqlstate ? postgresMessage(err.message, sqlstate) : err.message;

  const out: Record<string, unknown> = { type, message };
  for (const source of [driver, fields]) {
    for (const key of SAFE_ERROR_FIELDS) {
      const value = source[key];
      if ((typeof value === 'string' || typeof value === 'number') && out[key] === undefined) out[key] = value;
    }
  }
  if (fields.fields && typeof fields.fields === 'object') out.fields = Object.keys(fields.fields);
  if (typeof err.stack === 'string') {
    // A stack starts with the message: after a cleaned one, rebuild that start.
    const frames = err.stack.indexOf('\n    at ');
    out.stack = sqlstate ? `${err.name}: ${message}${frames === -1 ? '' : err.stack.slice(frames)}` : err.stack;
  }
  if (depth < 4) {
    if (err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
    if (Array.isArray(fields.errors)) out.errors = fields.errors.slice(0, 10).map((inner: unknown) => serializeError(inner, depth + 1));
  }
  return out;
}

/**
 * pino's test for an error: a `message` string. Not `instanceof Error`: errors made by
 * Node itself belong to another realm under jest, and pino would then print every
 * enumerable property of them.
 */
function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** Structured JSON logs on stdout (or `destination`, which tests use to read what was written). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: CENSOR }, serializers: { err: serializeError } }, destination);
}
