import { ConnectionRefusedError, DatabaseError, UniqueConstraintError, ValidationErrorItem } from 'sequelize';
import { serializeError } from '../../app/logger';

/**
 * How a database error is logged (app/logger.ts). The errors are built the way
 * node-postgres and Sequelize build them; test/security/log-redaction.test.ts
 * produces real ones on PostgreSQL.
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
