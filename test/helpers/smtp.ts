import type { AddressInfo } from 'node:net';
import { ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtpServer {
  port: number;
  /** SMTP_URL for the server under test. */
  url: string;
  /** Every mail accepted so far, parsed, in order. */
  mails: ParsedMail[];
  /** The first mail (after `after` mails) that matches, waiting for it up to `timeoutMs`. */
  nextMail(match?: (mail: ParsedMail) => boolean, options?: { after?: number; timeoutMs?: number }): Promise<ParsedMail>;
  /** Stops listening (an SMTP outage); start() listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (the smtp-server package) on a local port, keeping what it
 * receives parsed by mailparser: the mail tests read what the server under test
 * really sent. Plain SMTP without STARTTLS or AUTH, as a local relay would be.
 */
export async function startSmtpServer(port = 0): Promise<TestSmtpServer> {
  const mails: ParsedMail[] = [];
  const waiters: Array<() => void> = [];
  let server: SMTPServer;

  const listen = (on: number) =>
    new Promise<number>((resolve, reject) => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, _session, callback) {
          simpleParser(stream)
            .then((mail) => {
              mails.push(mail);
              waiters.splice(0).forEach((wake) => wake());
              callback();
            })
            .catch((error: Error) => callback(error));
        },
      });
      server.once('error', reject);
      server.listen(on, '127.0.0.1', () => resolve((server.server.address() as AddressInfo).port));
    });

  const boundPort = await listen(port);
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    port: boundPort,
    url: `smtp://127.0.0.1:${boundPort}`,
    mails,
    async nextMail(match = () => true, { after = 0, timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mails.slice(after).find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching mail within ${timeoutMs} ms (${mails.length} received)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    stop,
    async start() {
      await listen(boundPort);
    },
    close: stop,
  };
}
