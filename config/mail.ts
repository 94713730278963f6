import type { NodeEnv } from '.';

export interface MailConfig {
  /** SMTP_URL (smtp:// or smtps://, credentials inside); null: development writes .eml files to `outboxDir` instead. */
  smtpUrl: string | null;
  /** MAIL_FROM: the From header of every mail. */
  from: string;
  /** MAIL_DISABLED=true: no mail at all; email verification and password reset answer 404. */
  disabled: boolean;
  /** Where mails go as .eml files while no SMTP_URL is set (development and test only). */
  outboxDir: string;
  /** How long a password-reset link works (seconds). */
  resetTokenTtl: number;
  /** How long an email-verification link works (seconds). */
  emailVerifyTtl: number;
  /** Per hour: reset requests per address, verification mails per user (0 = off). */
  rateLimit: number;
}

/**
 * SMTP_URL, MAIL_FROM and MAIL_DISABLED (the durations are read with the others).
 * Production without a way to send mail would accept reset requests and never
 * send a link: it refuses to start instead, unless mail is switched off on purpose.
 */
export function parseMail(read: (key: string) => string | undefined, nodeEnv: NodeEnv, problems: string[]): Pick<MailConfig, 'smtpUrl' | 'from' | 'disabled' | 'outboxDir'> {
  const rawUrl = read('SMTP_URL');
  let smtpUrl: string | null = null;
  if (rawUrl !== undefined) {
    // Never echoed: it holds the SMTP password.
    if (URL.canParse(rawUrl) && ['smtp:', 'smtps:'].includes(new URL(rawUrl).protocol) && new URL(rawUrl).hostname !== '') smtpUrl = rawUrl;
    else problems.push('SMTP_URL must be smtp://[user:password@]host[:port] or smtps://… (got something else)');
  }
  const disabledRaw = read('MAIL_DISABLED');
  if (disabledRaw !== undefined && !['true', 'false'].includes(disabledRaw)) problems.push(`MAIL_DISABLED must be true or false (got "${disabledRaw}")`);
  const disabled = disabledRaw === 'true';
  if (nodeEnv === 'production' && smtpUrl === null && !disabled && rawUrl === undefined) {
    problems.push('SMTP_URL must be set in production to send verification and password-reset mail (or MAIL_DISABLED=true to turn both off)');
  }
  const from = read('MAIL_FROM') ?? 'auth-server <no-reply@localhost>';
  if (!/^[^\r\n]*@[^\r\n]*$/.test(from)) problems.push(`MAIL_FROM must be an address, optionally with a name: "Auth <no-reply@example.com>" (got "${from}")`);
  return { smtpUrl, from, disabled, outboxDir: read('MAIL_OUTBOX_DIR') ?? 'data/outbox' };
}
