import type { Request, Response } from 'express';
import type { Sequelize } from 'sequelize';
import { unavailable } from '../errors';

const HEALTH_TIMEOUT_MS = 2000;

export function createHealthController(sequelize: Sequelize) {
  return {
    /** GET /health: 200 when the database answers a query within two seconds, 503 otherwise. */
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
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    },
  };
}
