import { Router } from 'express';
import type { Routes } from './types';
import { validate } from '../middleware/validate';
import { changeEmailRules, verifyEmailRules } from '../app/validators/email.validator';

/**
 * The account's address. Following a verification link needs no access token (the
 * link may be opened on another device): the token is the credential, and every
 * refusal is one 400 invalid_token. A resend is guarded and limited per user
 * (MAIL_RATE_LIMIT an hour). A change of address is checked whole before the
 * current password is; a wrong one counts against the account's login failure
 * budget, as at PUT /users/me/password. With MAIL_DISABLED the two mail routes
 * are not there (404); a change of address still works, without mail.
 */
export function emailRoutes(router: Router, { controllers: { email }, guards, limits, mailEnabled }: Routes): Router {
  router.put('/users/me/email', guards.accessToken, validate(changeEmailRules), limits.passwordFailures, email.change);
  if (!mailEnabled) return router;
  return router
    .post('/auth/email/verify', limits.perIp, validate(verifyEmailRules), email.verify)
    .post('/auth/email/resend', guards.accessToken, limits.verificationMails, email.resend);
}
