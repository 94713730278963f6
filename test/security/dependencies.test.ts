import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Known advisories of the JWT stack, pinned as floors so a lockfile change can
 * never quietly bring them back:
 * - jsonwebtoken < 9.0.0: CVE-2022-23529 (key object injection), CVE-2022-23539
 *   (legacy and mismatched key types), CVE-2022-23540 (no algorithm list meant
 *   "none" with a falsy key), CVE-2022-23541 (HS/RS confusion through a key
 *   function). Fixed in 9.0.0.
 * - jws < 4.0.1 (3.x < 3.2.3): CVE-2025-65945 / GHSA-869p-cjfg-cm3x (HMAC verify
 *   with an empty secret). Fixed in 4.0.1; jsonwebtoken 9.0.3 requires it.
 * - jose < 5.2.3 (4.x < 4.15.5): CVE-2024-28176 (unbounded JWE decompression).
 *   The server verifies its access tokens with jose; jsonwebtoken and passport-jwt
 *   are what the resource-server example (examples/resource-server/) guards with.
 * The forged-token tests check the behaviour; this checks what is installed.
 */
function installedVersion(name: string, from = path.resolve(__dirname, '../..')): string {
  const manifest = require.resolve(`${name}/package.json`, { paths: [from] });
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

const atLeast = (version: string, floor: string): boolean => {
  const [a, b] = [version, floor].map((v) => v.split(/[.-]/).slice(0, 3).map(Number));
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

describe('JWT library versions', () => {
  it('has jsonwebtoken at 9.0.0 or later, the one passport-jwt uses too', () => {
    const ours = installedVersion('jsonwebtoken');
    expect(atLeast(ours, '9.0.0')).toBe(true);
    const passportJwtDir = path.dirname(require.resolve('passport-jwt/package.json'));
    expect(installedVersion('jsonwebtoken', passportJwtDir)).toBe(ours);
  });

  it('has jose at 5.2.3 or later, the library the server verifies access tokens with', () => {
    expect(atLeast(installedVersion('jose'), '5.2.3')).toBe(true);
  });

  it('has jws at 4.0.1 or later under jsonwebtoken', () => {
    const jsonwebtokenDir = path.dirname(require.resolve('jsonwebtoken/package.json'));
    expect(atLeast(installedVersion('jws', jsonwebtokenDir), '4.0.1')).toBe(true);
  });

  it('compares versions the way the floors need', () => {
    expect(atLeast('9.0.3', '9.0.0')).toBe(true);
    expect(atLeast('8.5.1', '9.0.0')).toBe(false);
    expect(atLeast('4.0.0', '4.0.1')).toBe(false);
    expect(atLeast('10.0.0', '9.9.9')).toBe(true);
  });
});
