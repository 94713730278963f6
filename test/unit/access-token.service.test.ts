import jwt from 'jsonwebtoken';
import { createAccessTokenService } from '../../app/services/access-token.service';
import { loadConfig } from '../../config';
import { TEST_ENV, TEST_SECRET } from '../helpers/app';
import { fakeClock } from '../helpers/clock';

describe('access token service', () => {
  const config = loadConfig({ ...TEST_ENV, ACCESS_TOKEN_TTL: '5m' });

  it('signs iat and exp from the injected clock', () => {
    const clock = fakeClock(new Date('2030-01-01T00:00:00Z'));
    const { token, expiresIn } = createAccessTokenService(config, clock).sign({ id: 'user-1', sessionVersion: 3, role: 'admin' });
    const claims = jwt.decode(token) as jwt.JwtPayload;
    expect(expiresIn).toBe(300);
    expect(claims.iat).toBe(Date.parse('2030-01-01T00:00:00Z') / 1000);
    expect(claims.exp).toBe((claims.iat as number) + 300);
    expect(claims.sub).toBe('user-1');
    expect(claims.ver).toBe(3);
    expect(claims.roles).toEqual(['admin']);
  });

  it('gives each token its own jti', () => {
    const service = createAccessTokenService(config, fakeClock());
    const a = jwt.decode(service.sign({ id: 'u', sessionVersion: 0, role: 'user' }).token) as jwt.JwtPayload;
    const b = jwt.decode(service.sign({ id: 'u', sessionVersion: 0, role: 'user' }).token) as jwt.JwtPayload;
    expect(a.jti).not.toBe(b.jti);
  });

  it('verifies only with its pinned algorithm, issuer and audience', () => {
    const service = createAccessTokenService(config, fakeClock());
    const { token } = service.sign({ id: 'u', sessionVersion: 0, role: 'user' });
    expect(() => jwt.verify(token, service.key, service.verifyOptions)).not.toThrow();
    expect(() => jwt.verify(token, TEST_SECRET, { ...service.verifyOptions, issuer: 'someone-else' })).toThrow(/issuer/);
    expect(() => jwt.verify(token, TEST_SECRET, { ...service.verifyOptions, audience: 'another-api' })).toThrow(/audience/);
    expect(service.verifyOptions.algorithms).toEqual(['HS256']);
  });
});
