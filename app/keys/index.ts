import type { Logger } from 'pino';
import type { Config } from '../../config';
import { isAsymmetric } from '../../config/signing';
import type { Database } from '../../models';
import type { Clock } from '../clock';
import type { InvalidationChannel } from '../invalidation/channel';
import { databaseKeyRing } from './database-key-ring';
import { KeyRing, secretKeyRing } from './key-ring';

/** The key ring JWT_ALGORITHM asks for: JWT_SECRET for HS256, the `signing_keys` table otherwise. */
export function createKeyRing(deps: { config: Readonly<Config>; db: Database; clock: Clock; channel?: InvalidationChannel; logger?: Logger }): KeyRing {
  const { config } = deps;
  if (!isAsymmetric(config.jwt.algorithm)) return secretKeyRing(config.jwt.secret);
  return databaseKeyRing({ ...deps, accessTokenTtl: config.accessTokenTtl, encryptionSecret: config.signingKeys.encryptionSecret });
}
