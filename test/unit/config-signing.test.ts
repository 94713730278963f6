import { loadConfig } from '../../config';
import { DEVELOPMENT_KEY_ENCRYPTION_SECRET } from '../../config/signing';

const SECRET = 'x'.repeat(32);
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: SECRET, MAIL_DISABLED: 'true' };

describe('loadConfig: signing, publishing and introspection', () => {
  it('signs HS256 by default, publishes under http://localhost:PORT, and keeps the issuer auth-server until PUBLIC_URL is set', () => {
    const config = loadConfig({ PORT: '4100' });
    expect(config.jwt.algorithm).toBe('HS256');
    expect(config.publicUrl).toBe('http://localhost:4100');
    expect(config.jwt.issuer).toBe('auth-server');
    expect(config.signingKeys).toEqual({ encryptionSecret: DEVELOPMENT_KEY_ENCRYPTION_SECRET, jwksMaxAge: 600 });
    expect(config.introspectionClients).toEqual([]);
  });

  it.each([['ES256'], ['EdDSA'], ['RS256'], ['es256']])('reads JWT_ALGORITHM=%s', (algorithm) => {
    expect(loadConfig({ JWT_ALGORITHM: algorithm }).jwt.algorithm.toLowerCase()).toBe(algorithm.toLowerCase());
  });

  it('refuses an algorithm it does not sign with, naming the ones it does', () => {
    expect(() => loadConfig({ JWT_ALGORITHM: 'none' })).toThrow('JWT_ALGORITHM must be one of HS256, ES256, EdDSA, RS256 (got "none")');
    expect(() => loadConfig({ JWT_ALGORITHM: 'HS512' })).toThrow(/JWT_ALGORITHM/);
  });

  it('requires KEY_ENCRYPTION_SECRET of 32 bytes in production with an asymmetric algorithm, in one line', () => {
    expect(() => loadConfig({ ...PRODUCTION, JWT_ALGORITHM: 'ES256' })).toThrow(
      'Invalid configuration: KEY_ENCRYPTION_SECRET must be set to at least 32 bytes in production with JWT_ALGORITHM=ES256',
    );
    expect(() => loadConfig({ ...PRODUCTION, JWT_ALGORITHM: 'EdDSA', KEY_ENCRYPTION_SECRET: 'short' })).toThrow('KEY_ENCRYPTION_SECRET must be at least 32 bytes long');
    expect(loadConfig({ ...PRODUCTION, JWT_ALGORITHM: 'ES256', KEY_ENCRYPTION_SECRET: SECRET }).signingKeys.encryptionSecret).toBe(SECRET);
    expect(loadConfig(PRODUCTION).jwt.algorithm).toBe('HS256');
  });

  it('reads JWKS_MAX_AGE as a duration up to a day', () => {
    expect(loadConfig({ JWKS_MAX_AGE: '5m' }).signingKeys.jwksMaxAge).toBe(300);
    expect(loadConfig({ JWKS_MAX_AGE: '0' }).signingKeys.jwksMaxAge).toBe(0);
    expect(() => loadConfig({ JWKS_MAX_AGE: '2d' })).toThrow(/JWKS_MAX_AGE/);
  });

  it('takes PUBLIC_URL without its trailing slash, and JWT_ISSUER over it', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://auth.example.com/' }).publicUrl).toBe('https://auth.example.com');
    expect(loadConfig({ PUBLIC_URL: 'https://example.com/auth/' }).jwt.issuer).toBe('https://example.com/auth');
    expect(loadConfig({ PUBLIC_URL: 'https://auth.example.com', JWT_ISSUER: 'auth-server' }).jwt.issuer).toBe('auth-server');
  });

  it.each(['auth.example.com', 'ftp://auth.example.com', 'https://auth.example.com/?a=1', 'https://auth.example.com/#x', 'https://u:p@auth.example.com'])(
    'refuses PUBLIC_URL=%s',
    (url) => {
      expect(() => loadConfig({ PUBLIC_URL: url })).toThrow(/PUBLIC_URL must be an http\(s\) URL/);
    },
  );

  it('reads INTROSPECTION_CLIENTS as name:secret pairs, a secret may hold colons', () => {
    const other = `${'y'.repeat(31)}:z`;
    expect(loadConfig({ INTROSPECTION_CLIENTS: `orders:${SECRET}, billing-api:${other}` }).introspectionClients).toEqual([
      { name: 'orders', secret: SECRET },
      { name: 'billing-api', secret: other },
    ]);
  });

  it('refuses short secrets, odd names and a name given twice, without echoing a secret', () => {
    const attempt = (value: string) => () => loadConfig({ INTROSPECTION_CLIENTS: value });
    expect(attempt('orders:hunter2')).toThrow('INTROSPECTION_CLIENTS: the secret of "orders" must be at least 32 bytes long');
    expect(attempt('orders:hunter2')).toThrow(expect.objectContaining({ problems: [expect.not.stringContaining('hunter2')] }));
    expect(attempt(`or ders:${SECRET}`)).toThrow(/INTROSPECTION_CLIENTS entries must be name:secret/);
    expect(attempt(`orders:${SECRET},orders:${SECRET}`)).toThrow('INTROSPECTION_CLIENTS names "orders" twice');
  });
});
