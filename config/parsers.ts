import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import type { NodeEnv } from '.';

/**
 * HOST: the address to listen on, an IP address or a host name. Unset, only
 * production listens on every interface; development and test listen on loopback,
 * so a deployment that forgot NODE_ENV=production (demo user johndoe/secret, a
 * random JWT secret) is not reachable from the network.
 */
export function parseHost(raw: string | undefined, nodeEnv: NodeEnv, problems: string[]): string | null {
  if (raw === undefined) return nodeEnv === 'production' ? null : '127.0.0.1';
  if (isIP(raw) !== 0) return raw;
  // A host name is what the URL parser keeps as a hostname unchanged: no scheme, port or path. (IPv6 goes without brackets.)
  if (!raw.startsWith('[') && URL.canParse(`http://${raw}`) && new URL(`http://${raw}`).hostname === raw.toLowerCase()) return raw;
  problems.push(`HOST must be an IP address (IPv6 without brackets) or a host name to listen on, such as 127.0.0.1, 0.0.0.0 or :: (got "${raw}")`);
  return null;
}

/** WEB_CONCURRENCY: a worker count, or `auto` for one per CPU. */
export function parseWebConcurrency(raw: string | undefined, problems: string[]): number {
  if (raw === undefined) return 1;
  if (raw === 'auto') return availableParallelism();
  if (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 256) return Number(raw);
  problems.push(`WEB_CONCURRENCY must be a whole number from 1 to 256, or auto for one worker per CPU (got "${raw}")`);
  return 1;
}

/** REDIS_URL: redis:// or rediss:// (TLS). */
export function parseRedisUrl(raw: string | undefined, problems: string[]): string | null {
  if (raw === undefined) return null;
  if (URL.canParse(raw) && ['redis:', 'rediss:'].includes(new URL(raw).protocol)) return raw;
  problems.push('REDIS_URL must be redis://[user:password@]host[:port][/db] or rediss://… (got something else)');
  return null;
}

/** TRUST_PROXY: unset/false = trust nobody; true; a hop count; or addresses/subnets for Express. */
export function parseTrustProxy(raw: string | undefined, problems: string[]): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^[\w.:/, -]+$/.test(raw)) return raw;
  problems.push(`TRUST_PROXY must be true, false, a hop count or a list of addresses (got "${raw}")`);
  return false;
}

