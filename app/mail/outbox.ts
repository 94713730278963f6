import type { Database } from '../../models';
import { insertMail, MailToken } from '../../models/mail-outbox.queries';
import type { Clock } from '../clock';

export interface MailToSend {
  recipient: string;
  subject: string;
  text: string;
  html: string;
  /** The token the mail's link carries: stored with the mail, as its hash only, in the same statement. */
  token?: MailToken;
}

/** Where services put mail. Writing is all they do: the outbox sender sends (app/mail/outbox-sender.ts). */
export interface Outbox {
  /** Writes the mail (and its token) durably; resolves once it is in the database, before it is sent. */
  queue(mail: MailToSend): Promise<number>;
  /** Called after each mail written in this process, so a sender here can send it at once. */
  onQueued(listener: () => void): void;
}

export function createOutbox(db: Database, clock: Clock): Outbox {
  const listeners: Array<() => void> = [];
  return {
    async queue(mail) {
      const id = await insertMail(db, { ...mail, createdAt: clock.now() });
      listeners.forEach((listener) => listener());
      return id;
    },
    onQueued: (listener) => listeners.push(listener),
  };
}
