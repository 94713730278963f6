import { Router } from 'express';
import type { Routes } from './types';

export function healthRoutes(router: Router, { controllers: { health } }: Routes): Router {
  return router.get('/health', health.health);
}
