import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { Database } from '../../models';
import type { Outbox } from './outbox';
import { OutboxSender, startOutboxSender } from './outbox-sender';
import { createMailTransport } from './transport';

/**
 * The outbox sender of this process, or null with MAIL_DISABLED. A lone server and a
 * cluster primary each run one (workers write mail; the primary's sender finds it
 * within a second); several instances each run theirs, and claims keep them from
 * sending one mail twice. `outbox`: this process's own, whose mail is sent at once.
 */
export function startMailDelivery(deps: { db: Database; config: Readonly<Config>; logger: Logger; outbox?: Outbox }): OutboxSender | null {
  const { db, config, logger, outbox } = deps;
  if (config.mail.disabled) return null;
  const sender = startOutboxSender({ db, transport: createMailTransport(config.mail, logger), logger });
  outbox?.onQueued(() => sender.kick());
  return sender;
}
