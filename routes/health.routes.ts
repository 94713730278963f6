import { Router } from 'express';
import type { Routes } from './types';

export function healthRoutes({ controllers: { health } }: Routes): Router {
  return Router().get('/health', health.health);
}
