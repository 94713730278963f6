/**
 * What services refuse, in the domain's words. Services know nothing of HTTP: the
 * web layer says each of these as a status, an OAuth error and a challenge, in one
 * place (app/errors/from-service.ts). `code` is the stable reason clients switch on.
 */
export abstract class ServiceError extends Error {
  abstract readonly code: string;
  constructor(readonly description: string) {
    super(description);
    this.name = new.target.name;
  }
}

export type RefreshRefusal = 'token_invalid' | 'token_expired' | 'token_revoked' | 'refresh_reused' | 'token_superseded' | 'account_disabled';

/** A refresh token that cannot be exchanged: unknown, expired, of an ended session, replayed, superseded, or of a disabled account. */
export class RefreshTokenRefused extends ServiceError {
  constructor(readonly code: RefreshRefusal, description: string) {
    super(description);
  }
}

/** The session the caller authenticated with has ended (or its user is gone) since its access token was checked. */
export class CallerSessionEnded extends ServiceError {
  readonly code = 'token_revoked';
}

/** The current password given to confirm a change is wrong. */
export class PasswordIncorrect extends ServiceError {
  readonly code = 'password_incorrect';
}

/** A new password the policy refuses for a reason only the service can see (it contains the account's username); `field` names it. */
export class NewPasswordRefused extends ServiceError {
  readonly code = 'validation_failed';
  constructor(readonly field: string, description: string) {
    super(description);
  }
}

/** Registration of a username that exists already (compared case-insensitively). */
export class UsernameTaken extends ServiceError {
  readonly code = 'username_taken';
}

/** An address another account has already (compared case-insensitively): at registration or a change of address. */
export class EmailTaken extends ServiceError {
  readonly code = 'email_taken';
}

/**
 * A mailed link's token that cannot be used: unknown, expired, used, revoked, of
 * another purpose, or for an address the account no longer has. One refusal for
 * all, so an answer never tells which.
 */
export class InvalidAccountToken extends ServiceError {
  readonly code = 'invalid_token';
}

/** A verification mail asked for by an account that has no address (409 no_email). */
export class NoEmail extends ServiceError {
  readonly code = 'no_email';
}

/** A verification mail asked for by an account whose address is verified already. */
export class EmailAlreadyVerified extends ServiceError {
  readonly code = 'email_already_verified';
}

/**
 * What the caller named is not there for them: it does not exist, or it is not
 * theirs to see (say both the same way, so an answer never tells which). A 404
 * whose `code` names the kind of thing (`note_not_found`); for an app's own
 * resources, which throw it from their services like any domain error.
 */
export class NotFound extends ServiceError {
  constructor(readonly code: `${string}_not_found`, description: string) {
    super(description);
  }
}

/** A change that would leave no enabled admin (demoting or disabling the last one). */
export class LastAdmin extends ServiceError {
  readonly code = 'last_admin';
}

/** A page cursor this server did not hand out (the admin listing's). */
export class InvalidCursor extends ServiceError {
  readonly code = 'cursor_invalid';
}

/** An access token that is not one of ours (forged, malformed, another issuer or key) or has expired. */
export class AccessTokenRefused extends ServiceError {
  constructor(readonly code: 'token_invalid' | 'token_expired', description: string) {
    super(description);
  }
}

/** `keys rotate` before the `next` key has been published for the JWKS cache lifetime: a verifier may not have it yet. */
export class KeyRotationTooSoon extends ServiceError {
  readonly code = 'rotation_too_soon';
  constructor(readonly nextKid: string, readonly waitSeconds: number) {
    super(`the next key ${nextKid} has been published for less than JWKS_MAX_AGE: verifiers may not have fetched it yet; rotate in ${waitSeconds} s, or now with --force`);
  }
}
