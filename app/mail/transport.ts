import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { TransportOptions } from 'nodemailer';
import type { Logger } from 'pino';
import type { MailConfig } from '../../config/mail';

export interface OutgoingMail {
  id: number;
  recipient: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends one mail; rejects when it was not accepted. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

// A receiving server that never answers must not hold the sender for long.
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * SMTP through nodemailer when SMTP_URL is set; otherwise (development, test) each
 * mail is written as an .eml file under MAIL_OUTBOX_DIR and the log names the file,
 * never its contents: the link inside is a credential. The Message-ID is the outbox
 * row's, so a mail sent again after a crash is recognisably the same mail.
 */
export function createMailTransport(config: MailConfig, logger: Logger): MailTransport {
  const messageId = (mail: OutgoingMail, host: string) => `<outbox-${mail.id}@${host}>`;
  const message = (mail: OutgoingMail, host: string) => ({
    from: config.from,
    to: mail.recipient,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: messageId(mail, host),
  });

  if (config.smtpUrl !== null) {
    const transport = nodemailer.createTransport({ url: config.smtpUrl, ...SMTP_TIMEOUTS } as TransportOptions);
    const host = new URL(config.smtpUrl).hostname;
    return {
      async send(mail) {
        await transport.sendMail(message(mail, host));
      },
      close: () => transport.close(),
    };
  }

  const files = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      // The text part as it is (8bit), not quoted-printable, which would break the link for a person reading the file in an editor.
      const text = { raw: `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${mail.text}` };
      const info = await files.sendMail({ ...message(mail, 'localhost'), text });
      await mkdir(config.outboxDir, { recursive: true });
      const file = path.join(config.outboxDir, `${String(mail.id).padStart(6, '0')}.eml`);
      await writeFile(file, info.message as Buffer);
      logger.info({ file, to: mail.recipient, subject: mail.subject }, 'mail written to the outbox folder (no SMTP_URL)');
    },
    close: () => files.close(),
  };
}
