import type { Request, Response } from 'express';
import type { Sequelize } from 'sequelize';
import { unavailable } from '../errors';
import type { RedisConnection } from '../redis';

const HEALTH_TIMEOUT_MS = 2000;

export function createHealthController(sequelize: Sequelize, redis?: RedisConnection) {
  return {
    /**
     * GET /health: 200 when the database answers a query within two seconds, 503 otherwise.
     * With REDIS_URL, `redis` says whether the rate limits are shared right now; Redis being
     * down is no 503: logins work on, with limits counted per process (middleware/rate-limit-store.ts).
     */
    async health(_req: Request, res: Response) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('health check timed out')), HEALTH_TIMEOUT_MS);
      });
      try {
        await Promise.race([sequelize.query('SELECT 1'), timeout]);
      } catch (error) {
        throw unavailable(error);
      } finally {
        clearTimeout(timer);
      }
      res.set('Cache-Control', 'no-store').json(redis ? { status: 'ok', redis: redis.status() } : { status: 'ok' });
    },
  };
}
