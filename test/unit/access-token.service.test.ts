import jwt from 'jsonwebtoken';
import { secretKeyRing } from '../../app/keys/key-ring';
import { createAccessTokenService } from '../../app/services/access-token.service';
import { loadConfig } from '../../config';
import { TEST_ENV, TEST_SECRET } from '../helpers/app';
import { fakeClock } from '../helpers/clock';

describe('access token service', () => {
  const config = loadConfig({ ...TEST_ENV, ACCESS_TOKEN_TTL: '5m' });

  it('signs iat and exp from the injected clock', () => {
    const clock = fakeClock(new Date('2030-01-01T00:00:00Z'));
    const { token, expiresIn } = createAccessTokenService(config, clock, secretKeyRing(TEST_SECRET)).sign({ id: 'user-1', sessionVersion: 3, role: 'admin' });
    const claims = jwt.decode(token) as jwt.JwtPayload;
    expect(expiresIn).toBe(300);
    expect(claims.iat).toBe(Date.parse('2030-01-01T00:00:00Z') / 1000);
    expect(claims.exp).toBe((claims.iat as number) + 300);
    expect(claims.sub).toBe('user-1');
    expect(claims.ver).toBe(3);
    expect(claims.roles).toEqual(['admin']);
  });

  it('gives each token its own jti', () => {
    const service = createAccessTokenService(config, fakeClock(), secretKeyRing(TEST_SECRET));
    const a = jwt.decode(service.sign({ id: 'u', sessionVersion: 0, role: 'user' }).token) as jwt.JwtPayload;
    const b = jwt.decode(service.sign({ id: 'u', sessionVersion: 0, role: 'user' }).token) as jwt.JwtPayload;
    expect(a.jti).not.toBe(b.jti);
  });

  it('signs HS256 tokens that verify with the secret, its issuer and audience only', () => {
    const service = createAccessTokenService(config, fakeClock(), secretKeyRing(TEST_SECRET));
    const { token } = service.sign({ id: 'u', sessionVersion: 0, role: 'user' });
    const pinned = { algorithms: ['HS256' as const], issuer: config.jwt.issuer, audience: config.jwt.audience };
    expect(jwt.decode(token, { complete: true })?.header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(() => jwt.verify(token, TEST_SECRET, pinned)).not.toThrow();
    expect(() => jwt.verify(token, TEST_SECRET, { ...pinned, issuer: 'someone-else' })).toThrow(/issuer/);
    expect(() => jwt.verify(token, TEST_SECRET, { ...pinned, audience: 'another-api' })).toThrow(/audience/);
  });

  it('verifies its own tokens, and refuses them from their exp on by its clock', async () => {
    const clock = fakeClock(new Date('2030-01-01T00:00:00Z'));
    const service = createAccessTokenService(config, clock, secretKeyRing(TEST_SECRET));
    const { token } = service.sign({ id: 'u', sessionVersion: 2, role: 'user' });
    await expect(service.verify(token)).resolves.toMatchObject({ sub: 'u', ver: 2, roles: ['user'] });
    clock.advance('5m');
    await expect(service.verify(token)).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('refuses a token signed with another secret, even once a good one was remembered', async () => {
    const service = createAccessTokenService(config, fakeClock(), secretKeyRing(TEST_SECRET));
    const other = createAccessTokenService(config, fakeClock(), secretKeyRing('another-secret-that-is-32-bytes-long!!'));
    await service.verify(service.sign({ id: 'u', sessionVersion: 0, role: 'user' }).token);
    await expect(service.verify(other.sign({ id: 'u', sessionVersion: 0, role: 'user' }).token)).rejects.toMatchObject({ code: 'token_invalid' });
  });
});
