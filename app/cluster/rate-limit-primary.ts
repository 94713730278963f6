import cluster from 'node:cluster';
import { ClusterMemoryStorePrimary } from '@express-rate-limit/cluster-memory-store';

let sharing = false;

/**
 * Call once in the primary of a Node cluster (server.ts with WEB_CONCURRENCY > 1), before or
 * after forking. Without REDIS_URL, each worker's limiters count in the primary's memory
 * (middleware/rate-limit-store.ts), so all workers share the per-IP, per-account and
 * per-session budgets; without this call in the primary their counts go unanswered and
 * every limited request fails after a second. With REDIS_URL the workers count in Redis
 * and this is idle, so it can be called either way. Further calls do nothing.
 */
export function shareRateLimitsFromPrimary(): void {
  if (!cluster.isPrimary) throw new Error('shareRateLimitsFromPrimary() belongs in the cluster primary, not in a worker');
  if (sharing) return;
  sharing = true;
  new ClusterMemoryStorePrimary().init();
}
