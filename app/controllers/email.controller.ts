import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { EmailService } from '../services/email.service';
import { toProfile } from '../services/user.service';

export function createEmailController(emails: EmailService) {
  return {
    /** POST /auth/email/verify: the token from a verification link (the page reads it from the fragment and posts it). */
    async verify(req: Request, res: Response) {
      const { token } = matchedData(req) as { token: string };
      await emails.verify(token);
      res.json({ email_verified: true });
    },

    /** POST /auth/email/resend: 202, the mail is written and on its way. */
    async resend(req: Request, res: Response) {
      await emails.resend(req.user!.id);
      res.status(202).json({});
    },

    /** PUT /users/me/email: the profile, with the new address unverified. */
    async change(req: Request, res: Response) {
      const { email, current_password: current } = matchedData(req) as { email: string; current_password: string };
      res.json(toProfile(await emails.change(req.user!, email, current)));
    },
  };
}
