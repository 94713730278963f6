import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import { OVER_MAIL_LIMIT } from '../../middleware/rate-limit-forgot';
import type { PasswordResetService } from '../services/password-reset.service';

export function createPasswordResetController(resets: PasswordResetService) {
  return {
    /** POST /auth/password/forgot: 202 {} whatever the address, and whether or not a mail goes out. */
    async forgot(req: Request, res: Response) {
      const { email } = matchedData(req) as { email: string };
      if (res.locals[OVER_MAIL_LIMIT] !== true) await resets.requestReset(email);
      res.status(202).json({});
    },

    /** POST /auth/password/reset: 200 {} and no tokens; the person logs in with the new password. */
    async reset(req: Request, res: Response) {
      const { token, new_password: newPassword } = matchedData(req) as { token: string; new_password: string };
      await resets.resetPassword(token, newPassword);
      res.status(200).json({});
    },
  };
}
