import type { Request, Response } from 'express';
import type { Config } from '../../config';
import type { KeyRing } from '../keys/key-ring';
import { buildServerMetadata } from '../services/server-metadata.service';

/** The metadata changes only with the configuration, that is with a restart: an hour of caching is safe. */
export const METADATA_MAX_AGE = 3600;

export function createWellKnownController(config: Readonly<Config>, keys: KeyRing) {
  const metadata = buildServerMetadata(config);
  const jwksCaching = `public, max-age=${config.signingKeys.jwksMaxAge}`;
  const metadataCaching = `public, max-age=${METADATA_MAX_AGE}`;

  return {
    /**
     * GET /.well-known/jwks.json (RFC 7517): the public keys, read from the key ring on
     * each request (keys rotate), cacheable for JWKS_MAX_AGE. Sent as application/json,
     * which every JWKS client reads (RFC 7517 also registers application/jwk-set+json).
     */
    jwks(_req: Request, res: Response) {
      res.set('Cache-Control', jwksCaching).json(keys.jwks());
    },

    /** GET /.well-known/oauth-authorization-server (RFC 8414): app/services/server-metadata.service.ts. */
    metadata(_req: Request, res: Response) {
      res.set('Cache-Control', metadataCaching).json(metadata);
    },
  };
}
