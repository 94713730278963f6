import type { Request, Response } from 'express';
import { matchedData } from 'express-validator';
import type { IntrospectionService, TokenTypeHint } from '../services/introspection.service';

export function createIntrospectionController(introspection: IntrospectionService) {
  return {
    /** POST /token/introspect: 200 with what the token is, or {"active": false}; never cached (no-store). */
    async introspect(req: Request, res: Response) {
      const { token, token_type_hint: hint } = matchedData(req) as { token: string; token_type_hint?: TokenTypeHint };
      res.json(await introspection.introspect(token, hint));
    },
  };
}
