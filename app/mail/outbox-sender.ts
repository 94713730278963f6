import type { Logger } from 'pino';
import type { Database } from '../../models';
import { claimDueMail, DueMail, giveUpMail, markMailSent, retryMailAt } from '../../models/mail-outbox.queries';
import { Clock, systemClock } from '../clock';
import type { MailTransport } from './transport';

/**
 * - pollMs: how often the outbox is read when there is nothing to do (mail written by
 *   another process, a retry coming due);
 * - claimMs: how long a claimed mail is this sender's; one whose sender died is due again after it;
 * - retry: 5 s after the first failure, doubling, at most 5 minutes apart;
 * - giveUpMs: a mail still unsent a day after it was written is given up, with an error logged.
 */
export const OUTBOX_TIMING = { pollMs: 1_000, claimMs: 60_000, firstRetryMs: 5_000, maxRetryMs: 300_000, giveUpMs: 86_400_000 };

export interface OutboxSender {
  /** Look at the outbox now (a mail was just written in this process). */
  kick(): void;
  /** Finishes the mail in hand, then stops. */
  stop(): Promise<void>;
}

export const retryDelayMs = (attempts: number, timing = OUTBOX_TIMING): number =>
  Math.min(timing.maxRetryMs, timing.firstRetryMs * 2 ** Math.max(0, attempts - 1));

/**
 * Sends what the outbox holds (models/mail-outbox.queries.ts), one mail at a time,
 * each claimed first so that several senders (the processes of a cluster, several
 * instances) never send one twice while it is in hand. A mail is written in the
 * request that causes it and sent here, so an SMTP server that is down, or a
 * restart between the request and the send, loses nothing: the mail waits in the
 * database. A crash after the SMTP server accepted a mail but before it was marked
 * sent sends it again once its claim runs out; nothing else does.
 */
export function startOutboxSender(deps: { db: Database; transport: MailTransport; logger: Logger; clock?: Clock; timing?: typeof OUTBOX_TIMING }): OutboxSender {
  const { db, transport, logger, clock = systemClock, timing = OUTBOX_TIMING } = deps;
  let stopped = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | undefined;

  const pause = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, timing.pollMs);
    }).finally(() => {
      wake = null;
      clearTimeout(timer);
    });

  async function deliver(mail: DueMail): Promise<void> {
    try {
      await transport.send(mail);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const now = clock.now();
      if (now.getTime() - mail.createdAt.getTime() >= timing.giveUpMs) {
        await giveUpMail(db, mail.id, reason);
        logger.error({ mail: mail.id, to: mail.recipient, attempts: mail.attempts, reason }, 'gave up sending a mail after a day of failures');
      } else {
        const delay = retryDelayMs(mail.attempts, timing);
        await retryMailAt(db, mail.id, new Date(now.getTime() + delay), reason);
        logger.warn({ mail: mail.id, attempts: mail.attempts, retryInMs: delay, reason }, 'could not send a mail: trying again later');
      }
      return;
    }
    await markMailSent(db, mail.id, clock.now());
  }

  async function run(): Promise<void> {
    while (!stopped) {
      let mail: DueMail | null = null;
      try {
        const now = clock.now();
        mail = await claimDueMail(db, now, new Date(now.getTime() + timing.claimMs));
        if (mail) await deliver(mail);
      } catch (error) {
        // The database is down: the mail (if one was claimed) is due again when its claim runs out.
        logger.warn({ err: error }, 'the mail outbox could not be read or updated: trying again');
        mail = null;
      }
      if (!mail && !stopped) await pause();
    }
  }

  const running = run();
  return {
    kick: () => wake?.(),
    async stop() {
      stopped = true;
      wake?.();
      await running;
      transport.close();
    },
  };
}
