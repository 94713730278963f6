import { Router } from 'express';
import type { Routes } from './types';
import { validate } from '../middleware/validate';
import { forgotPasswordRules, resetPasswordRules } from '../app/validators/password-reset.validator';

/**
 * Password reset by mail. "Forgot password?" posts an address and always gets
 * 202 {}: a verified address gets a link, PUBLIC_URL/#/reset?token=…, whose page
 * posts the token with a new password to /auth/password/reset. Both are throttled
 * per IP (a reset hashes a password); forgot also per address, silently. Neither
 * takes a cookie or a bearer token, so neither needs an origin check. No route at
 * all (404) with MAIL_DISABLED=true.
 */
export function passwordResetRoutes(router: Router, { controllers: { passwordReset }, limits }: Routes): Router {
  if (!passwordReset) return router;
  return router
    .post('/auth/password/forgot', limits.perIp, validate(forgotPasswordRules), limits.forgotPerAddress, passwordReset.forgot)
    .post('/auth/password/reset', limits.perIp, validate(resetPasswordRules), passwordReset.reset);
}
