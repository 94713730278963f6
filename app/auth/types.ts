/** What Passport puts on `req.user` after a successful authentication. */
export interface AuthenticatedUser {
  id: string;
  username: string;
  sessionVersion: number;
  /** The user's live role (checked on every request; never the token's `roles` claim). */
  role: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends AuthenticatedUser {}
  }
}

/** The `info` a strategy hands Passport when it refuses without a fault. */
export interface RefusalInfo {
  code: 'invalid_credentials' | 'account_disabled' | 'token_invalid' | 'token_expired' | 'token_revoked' | 'token_stale';
  message: string;
}
