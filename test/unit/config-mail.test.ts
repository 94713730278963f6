import { ConfigError, Env, loadConfig } from '../../config';

const SECRET = 'x'.repeat(32);
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: SECRET };
const PRODUCTION_REFUSAL = 'SMTP_URL must be set in production to send verification and password-reset mail (or MAIL_DISABLED=true to turn both off)';

/** The problems loadConfig names for `env` (none: it loaded). */
function problemsOf(env: Env): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('loadConfig: mail', () => {
  it('defaults to .eml files under data/outbox, mail on, 30-minute reset links, day-long verification links, 3 mails an hour', () => {
    expect(loadConfig({}).mail).toEqual({
      smtpUrl: null,
      from: 'auth-server <no-reply@localhost>',
      disabled: false,
      outboxDir: 'data/outbox',
      resetTokenTtl: 1800,
      emailVerifyTtl: 86400,
      rateLimit: 3,
    });
  });

  it.each([
    'smtp://mail.example.com',
    'smtp://mailer:s3cret@mail.example.com:587',
    'smtps://mailer:s3cret@mail.example.com:465',
    'smtp://127.0.0.1:2525',
  ])('accepts SMTP_URL=%s as given', (url) => {
    expect(loadConfig({ SMTP_URL: url }).mail.smtpUrl).toBe(url);
  });

  it.each([
    'http://mailer:s3cret@mail.example.com',
    'mail.example.com:587',
    'smtp://',
    'smtp:mailer:s3cret@mail.example.com',
    'smtp://mailer:s3cret@mail example.com',
  ])('refuses SMTP_URL=%s in one problem that does not repeat it (it holds a password)', (url) => {
    const problems = problemsOf({ SMTP_URL: url });
    expect(problems).toEqual(['SMTP_URL must be smtp://[user:password@]host[:port] or smtps://… (got something else)']);
    expect(problems.join()).not.toContain('s3cret');
    expect(problems.join()).not.toContain('mail.example.com');
  });

  describe('in production', () => {
    it('refuses to start without SMTP_URL, in one line that says how to turn mail off', () => {
      expect(problemsOf(PRODUCTION)).toEqual([PRODUCTION_REFUSAL]);
      expect(() => loadConfig(PRODUCTION)).toThrow(`Invalid configuration: ${PRODUCTION_REFUSAL}`);
      expect(problemsOf({ ...PRODUCTION, MAIL_DISABLED: 'false' })).toEqual([PRODUCTION_REFUSAL]);
      expect(problemsOf({ ...PRODUCTION, SMTP_URL: '  ' })).toEqual([PRODUCTION_REFUSAL]);
    });

    it('starts with SMTP_URL, or without it when MAIL_DISABLED=true', () => {
      expect(loadConfig({ ...PRODUCTION, SMTP_URL: 'smtps://mailer:s3cret@mail.example.com' }).mail).toMatchObject({ smtpUrl: 'smtps://mailer:s3cret@mail.example.com', disabled: false });
      expect(loadConfig({ ...PRODUCTION, MAIL_DISABLED: 'true' }).mail).toMatchObject({ smtpUrl: null, disabled: true });
    });

    it('names only the bad SMTP_URL when one is set but unusable', () => {
      expect(problemsOf({ ...PRODUCTION, SMTP_URL: 'http://mail.example.com' })).toEqual([expect.stringMatching(/^SMTP_URL must be smtp:\/\//)]);
    });
  });

  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['true', true],
    [' true ', true],
  ])('reads MAIL_DISABLED=%j as %s', (value, disabled) => {
    expect(loadConfig({ MAIL_DISABLED: value }).mail.disabled).toBe(disabled);
  });

  it.each(['yes', '1', 'TRUE', 'on'])('refuses MAIL_DISABLED=%s, naming what it takes', (value) => {
    expect(problemsOf({ MAIL_DISABLED: value })).toEqual([`MAIL_DISABLED must be true or false (got "${value}")`]);
  });

  it.each(['no-reply@example.com', 'Auth <no-reply@example.com>', '"Example, Inc." <auth@example.com>'])('accepts MAIL_FROM=%s', (from) => {
    expect(loadConfig({ MAIL_FROM: from }).mail.from).toBe(from);
  });

  it.each([
    ['no address at all', 'Auth'],
    ['a second header after a line break', 'Auth <no-reply@example.com>\r\nBcc: everyone@example.com'],
    ['a bare line feed', 'no-reply@example.com\nBcc: everyone@example.com'],
  ])('refuses a MAIL_FROM with %s', (_what, from) => {
    expect(problemsOf({ MAIL_FROM: from })).toEqual([expect.stringMatching(/^MAIL_FROM must be an address/)]);
  });

  it('reads MAIL_OUTBOX_DIR', () => {
    expect(loadConfig({ MAIL_OUTBOX_DIR: '/var/spool/auth-mail' }).mail.outboxDir).toBe('/var/spool/auth-mail');
  });

  it.each([
    ['RESET_TOKEN_TTL', '1m', 60, 'resetTokenTtl'],
    ['RESET_TOKEN_TTL', '15m', 900, 'resetTokenTtl'],
    ['RESET_TOKEN_TTL', '1d', 86400, 'resetTokenTtl'],
    ['EMAIL_VERIFY_TTL', '60', 60, 'emailVerifyTtl'],
    ['EMAIL_VERIFY_TTL', '7d', 7 * 86400, 'emailVerifyTtl'],
    ['EMAIL_VERIFY_TTL', '30d', 30 * 86400, 'emailVerifyTtl'],
  ] as const)('reads %s=%s as %d seconds', (key, value, seconds, field) => {
    expect(loadConfig({ [key]: value }).mail[field]).toBe(seconds);
  });

  it.each([
    ['RESET_TOKEN_TTL', '59s', 'from 1m to 1d'],
    ['RESET_TOKEN_TTL', '25h', 'from 1m to 1d'],
    ['RESET_TOKEN_TTL', '0', 'from 1m to 1d'],
    ['RESET_TOKEN_TTL', 'soon', 'from 1m to 1d'],
    ['EMAIL_VERIFY_TTL', '59', 'from 1m to 30d'],
    ['EMAIL_VERIFY_TTL', '31d', 'from 1m to 30d'],
  ])('refuses %s=%s, naming its range (%s)', (key, value, range) => {
    expect(problemsOf({ [key]: value })).toEqual([`${key} must be seconds or a number with s/m/h/d, ${range} (got "${value}")`]);
  });

  it.each([
    ['0', 0],
    ['10', 10],
    ['1000', 1000],
  ])('reads MAIL_RATE_LIMIT=%s (0 = off)', (value, limit) => {
    expect(loadConfig({ MAIL_RATE_LIMIT: value }).mail.rateLimit).toBe(limit);
  });

  it.each(['1001', '-1', '2.5', 'lots'])('refuses MAIL_RATE_LIMIT=%s', (value) => {
    expect(problemsOf({ MAIL_RATE_LIMIT: value })).toEqual([`MAIL_RATE_LIMIT must be a whole number from 0 to 1000 (got "${value}")`]);
  });

  it('freezes the mail settings with the rest', () => {
    expect(Object.isFrozen(loadConfig({}).mail)).toBe(true);
  });
});
