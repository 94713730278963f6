import express from 'express';
import {
  ConnectionAcquireTimeoutError,
  ConnectionError,
  ConnectionRefusedError,
  DatabaseError,
  TimeoutError,
  UniqueConstraintError,
  ValidationErrorItem,
} from 'sequelize';
import request from 'supertest';
import { serializeError } from '../../app/logger';
import { errorHandler, isDatabaseOutage } from '../../middleware/error-handler';

/**
 * How a database error is judged (middleware/error-handler.ts: 503 when the database
 * is unavailable, 500 otherwise) and how it is logged (app/logger.ts). The errors are
 * built the way node-postgres, node-sqlite3, Node and Sequelize build them; the fault
 * suites (test/security/faults) produce the real ones against real servers.
 */

const HASH = '$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g';

/** node-postgres's DatabaseError (pg-protocol): the server's message, SQLSTATE and severity, and what Sequelize adds. */
function pgError(code: string, message: string, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), {
    name: 'error',
    severity: 'ERROR',
    code,
    sql: 'INSERT INTO "users" ("password_hash") VALUES ($1)',
    parameters: [HASH],
    ...extra,
  });
}
const sqliteError = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}`), { errno: 1, code, sql: `UPDATE users SET password_hash = '${HASH}'` });
const systemError = (code: string) => Object.assign(new Error(`read ${code}`), { errno: -1, code, syscall: 'read' });
/** node-postgres's code-less failures: a plain Error, to which Sequelize adds the statement. */
const pgPlain = (message: string) => Object.assign(new Error(message), { sql: 'SELECT 1', parameters: [] });

describe('isDatabaseOutage', () => {
  it.each<[string, unknown]>([
    ['a refused connection (Sequelize)', new ConnectionRefusedError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))],
    ['a connect timeout (node-postgres "timeout expired", wrapped by Sequelize)', new ConnectionError(new Error('timeout expired'))],
    ['no free pooled connection in time', new ConnectionAcquireTimeoutError(new Error('operation timeout'))],
    ['SQLITE_BUSY (Sequelize TimeoutError)', new TimeoutError(sqliteError('SQLITE_BUSY', 'database is locked'))],
    ...['SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_MISUSE'].map(
      (code): [string, unknown] => [code, new DatabaseError(sqliteError(code, 'something went wrong'))],
    ),
    ...['08000', '08003', '08006', '53000', '53100', '53200', '53300', '57P01', '57P02', '57P03', '58030', '40001', '40P01', '57014'].map(
      (code): [string, unknown] => [`SQLSTATE ${code}`, new DatabaseError(pgError(code, 'terminating connection'))],
    ),
    ...['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].map((code): [string, unknown] => [`${code} under a query`, new DatabaseError(systemError(code) as never)]),
    ['ECONNRESET unwrapped (a connection set-up query)', systemError('ECONNRESET')],
    ['"Query read timeout" (query_timeout passed)', new DatabaseError(pgPlain('Query read timeout'))],
    ['"Connection terminated unexpectedly"', new DatabaseError(pgPlain('Connection terminated unexpectedly'))],
    ['"Connection terminated unexpectedly" unwrapped', pgPlain('Connection terminated unexpectedly')],
    ['a broken client', new DatabaseError(pgPlain('Client has encountered a connection error and is not queryable'))],
    ['an outage as the cause of another error', new Error('lookup failed', { cause: new DatabaseError(pgError('57P01', 'terminating connection due to administrator command')) })],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a check violation', new DatabaseError(pgError('23514', 'new row for relation "users" violates check constraint "c"'))],
    ['a unique violation', new UniqueConstraintError({ message: 'Validation error', parent: pgError('23505', 'duplicate key value') as never })],
    ['an unknown relation', new DatabaseError(pgError('42P01', 'relation "users" does not exist'))],
    // The words of an outage inside a message count for nothing: here they are a value a user sent.
    ['a data exception quoting "Connection terminated unexpectedly"', new DatabaseError(pgError('22P02', 'invalid input syntax for type uuid: "Connection terminated unexpectedly"'))],
    ['a data exception quoting ECONNREFUSED and SQLITE_BUSY', new DatabaseError(pgError('22P02', 'invalid input syntax for type integer: "ECONNREFUSED SQLITE_BUSY"'))],
    ['a plain error that mentions ECONNRESET', new Error('read ECONNRESET')],
    ['a plain error that mentions SQLITE_IOERR', new Error('SQLITE_IOERR: disk I/O error')],
    ['a TypeError whose message is a node-postgres one', new TypeError('Connection terminated unexpectedly')],
    ['an error with another code and that message', Object.assign(new Error('Query read timeout'), { code: 'ERR_SOMETHING' })],
    ['SQLITE_CONSTRAINT', new DatabaseError(sqliteError('SQLITE_CONSTRAINT', 'CHECK constraint failed: c'))],
    ['SQLITE_ERROR', new DatabaseError(sqliteError('SQLITE_ERROR', 'no such table: users'))],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
  });
});

describe('the error handler on database errors', () => {
  const appThrowing = (error: unknown) => {
    const app = express();
    app.get('/', () => {
      throw error;
    });
    app.use(errorHandler);
    return app;
  };

  it('answers an outage 503 database_unavailable with Retry-After', async () => {
    const res = await request(appThrowing(new DatabaseError(pgError('57P01', 'terminating connection due to administrator command')))).get('/');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual({ error: 'service_unavailable', error_description: expect.any(String), code: 'database_unavailable' });
  });

  it('answers any other database error 500 internal_error, without details', async () => {
    const res = await request(appThrowing(new DatabaseError(pgError('22P02', 'invalid input syntax for type uuid: "Connection terminated unexpectedly"')))).get('/');
    expect(res.status).toBe(500);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.body).toEqual({ error: 'server_error', error_description: 'Internal server error.', code: 'internal_error' });
  });
});

describe('serializeError', () => {
  const json = (error: unknown) => JSON.stringify(serializeError(error));

  it('keeps the class, message, SQLSTATE and schema names of a PostgreSQL error, and drops the statement, parameters and failing row', () => {
    const error = new DatabaseError(
      pgError('23514', 'new row for relation "users" violates check constraint "no_writes"', { detail: `Failing row contains (1, ${HASH}).`, constraint: 'no_writes', table: 'users', schema: 'public' }),
    );
    expect(serializeError(error)).toEqual({
      type: 'DatabaseError',
      message: 'new row for relation "users" violates check constraint "no_writes"',
      code: '23514',
      severity: 'ERROR',
      schema: 'public',
      table: 'users',
      constraint: 'no_writes',
      stack: expect.stringMatching(/^SequelizeDatabaseError: new row for relation "users" violates check constraint "no_writes"\n {4}at /),
    });
    expect(json(error)).not.toContain('$argon2');
  });

  it.each([
    ['22P02', 'invalid input syntax for type integer: "$argon2id$v=19$…"', 'invalid input syntax for type integer: "[REDACTED]"'],
    ['22003', 'value "4242424242" is out of range for type integer', 'value "[REDACTED]" is out of range for type integer'],
    ['22021', 'invalid byte sequence for encoding "UTF8": 0xe9 0x80', 'invalid byte sequence for encoding "[REDACTED]": [REDACTED]'],
    ['22001', 'value too long for type character varying(32)', 'value too long for type character varying(32)'],
    ['42601', 'syntax error at or near "\'hunter2\'"', 'syntax error at or near "[REDACTED]"'],
    ['P0001', `rejected ${HASH}`, '[REDACTED] (SQLSTATE P0001)'],
    ['23505', 'duplicate key value violates unique constraint "users_username_key_key"', 'duplicate key value violates unique constraint "users_username_key_key"'],
    ['42P01', 'relation "users" does not exist', 'relation "users" does not exist'],
  ])('logs the message of SQLSTATE %s without the values it quotes', (code, message, logged) => {
    const serialized = serializeError(new DatabaseError(pgError(code, message))) as { message: string; stack: string };
    expect(serialized.message).toBe(logged);
    expect(serialized.stack.split('\n    at ')[0]).toBe(`SequelizeDatabaseError: ${logged}`);
  });

  it('keeps what an operator needs from a system error under Sequelize', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { errno: -111, code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5432 });
    expect(serializeError(new ConnectionRefusedError(refused))).toMatchObject({
      type: 'ConnectionRefusedError',
      message: 'connect ECONNREFUSED 127.0.0.1:5432',
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '127.0.0.1',
      port: 5432,
    });
  });

  it('names the fields of a unique violation but not their values', () => {
    const item = new ValidationErrorItem('username_key must be unique', 'unique violation', 'username_key', 'secret-looking-name', null as never, 'not_unique', 'unique', []);
    const error = new UniqueConstraintError({ message: 'Validation error', errors: [item], fields: { username_key: 'secret-looking-name' }, parent: pgError('23505', 'duplicate key value') as never });
    expect(serializeError(error)).toMatchObject({ type: 'UniqueConstraintError', code: '23505', fields: ['username_key'] });
    expect(json(error)).not.toContain('secret-looking-name');
  });

  it('serializes a cause by the same rules', () => {
    const error = new Error('could not change the password', { cause: new DatabaseError(pgError('22P02', `invalid input syntax for type integer: "${HASH}"`)) });
    expect(serializeError(error)).toMatchObject({ type: 'Error', message: 'could not change the password', cause: { type: 'DatabaseError', code: '22P02' } });
    expect(json(error)).not.toContain('$argon2');
  });

  it('leaves an error without a SQLSTATE as it is, and a value that is not an error alone', () => {
    const error = new Error('boom: thrown from a timer');
    expect(serializeError(error)).toEqual({ type: 'Error', message: 'boom: thrown from a timer', stack: error.stack });
    expect(serializeError('a string')).toBe('a string');
  });
});
