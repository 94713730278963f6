import { QueryTypes } from 'sequelize';
import type { Database } from '.';

/** The token a mail carries, kept in the mail's row (migration 010): only its hash. */
export interface MailToken {
  hash: string;
  purpose: string;
  userId: string;
  /** The address the token is about (the one a verification link verifies). */
  email: string;
  expiresAt: Date;
}

export interface NewMail {
  recipient: string;
  subject: string;
  text: string;
  html: string;
  createdAt: Date;
  token?: MailToken;
}

/** A mail claimed for sending. */
export interface DueMail {
  id: number;
  recipient: string;
  subject: string;
  text: string;
  html: string;
  attempts: number;
  createdAt: Date;
}

const asDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/** Writes a mail (and the token it carries) in one statement; returns its id. Sent later, by the outbox sender. */
export async function insertMail(db: Database, mail: NewMail): Promise<number> {
  const rows = await db.sequelize.query<{ id: number }>(
    // Written WITH … INSERT: a statement that starts with INSERT is run by Sequelize's sqlite dialect without reading rows back.
    `WITH written AS (SELECT 1)
     INSERT INTO mail_outbox (recipient, subject, text_body, html_body, state, attempts, next_attempt_at, created_at,
                              token_hash, purpose, user_id, email, expires_at)
     SELECT :recipient, :subject, :text, :html, 'pending', 0, :createdAt, :createdAt, :hash, :purpose, :userId, :email, :expiresAt FROM written
     RETURNING id`,
    {
      replacements: {
        recipient: mail.recipient,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        createdAt: mail.createdAt,
        hash: mail.token?.hash ?? null,
        purpose: mail.token?.purpose ?? null,
        userId: mail.token?.userId ?? null,
        email: mail.token?.email ?? null,
        expiresAt: mail.token?.expiresAt ?? null,
      },
      type: QueryTypes.SELECT,
    },
  );
  return Number(rows[0].id);
}

/**
 * Claims the oldest mail that is due, for `claimUntil`: one statement, so of several
 * senders (processes, instances) exactly one gets each mail. A claim that runs out
 * (its sender died mid-send) makes the mail due again. PostgreSQL skips rows another
 * sender is claiming rather than waiting for them.
 */
export async function claimDueMail(db: Database, now: Date, claimUntil: Date): Promise<DueMail | null> {
  const skipLocked = db.sequelize.getDialect() === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
  const rows = await db.sequelize.query<Record<string, unknown>>(
    `WITH due AS (SELECT id FROM mail_outbox
                   WHERE state = 'pending' AND next_attempt_at <= :now AND (claimed_until IS NULL OR claimed_until <= :now)
                   ORDER BY next_attempt_at, id LIMIT 1 ${skipLocked})
     UPDATE mail_outbox SET claimed_until = :claimUntil, attempts = attempts + 1
      WHERE id = (SELECT id FROM due) AND state = 'pending' AND (claimed_until IS NULL OR claimed_until <= :now)
      RETURNING id, recipient, subject, text_body AS "text", html_body AS "html", attempts, created_at AS "createdAt"`,
    { replacements: { now, claimUntil }, type: QueryTypes.SELECT },
  );
  const row = rows[0];
  if (!row) return null;
  return { ...(row as unknown as DueMail), id: Number(row.id), attempts: Number(row.attempts), createdAt: asDate(row.createdAt as Date | string) };
}

/** Sent: the bodies, where the raw token was, are cleared. */
export async function markMailSent(db: Database, id: number, now: Date): Promise<void> {
  await db.sequelize.query(
    "UPDATE mail_outbox SET state = 'sent', sent_at = :now, claimed_until = NULL, text_body = NULL, html_body = NULL, last_error = NULL WHERE id = :id",
    { replacements: { id, now }, type: QueryTypes.UPDATE },
  );
}

/** Not sent this time: due again at `nextAttemptAt`. */
export async function retryMailAt(db: Database, id: number, nextAttemptAt: Date, error: string): Promise<void> {
  await db.sequelize.query('UPDATE mail_outbox SET claimed_until = NULL, next_attempt_at = :nextAttemptAt, last_error = :error WHERE id = :id', {
    replacements: { id, nextAttemptAt, error: error.slice(0, 500) },
    type: QueryTypes.UPDATE,
  });
}

/** Given up: never sent; the bodies are cleared all the same. */
export async function giveUpMail(db: Database, id: number, error: string): Promise<void> {
  await db.sequelize.query(
    "UPDATE mail_outbox SET state = 'failed', claimed_until = NULL, text_body = NULL, html_body = NULL, last_error = :error WHERE id = :id",
    { replacements: { id, error: error.slice(0, 500) }, type: QueryTypes.UPDATE },
  );
}
