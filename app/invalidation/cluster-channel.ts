import type { Cluster } from 'node:cluster';
import type { Logger } from 'pino';
import type { InvalidationChannel, SessionStateNotice } from './channel';

/** The IPC message a worker sends to the primary, which passes it on to every other worker. */
interface SessionStateMessage {
  type: 'auth:session-state-changed';
  userId: SessionStateNotice;
}

const isNotice = (message: unknown): message is SessionStateMessage =>
  typeof message === 'object' && message !== null && (message as SessionStateMessage).type === 'auth:session-state-changed';

/**
 * A cluster worker's channel: notices go through the primary (Node's IPC), so the
 * workers of one `npm start` learn of each other's writes whatever the database.
 * A worker cut off from its primary is on its way out (the primary is gone); until
 * then it is not live, and its cache goes unused.
 */
export function clusterWorkerChannel(logger: Logger, worker: NodeJS.Process = process): InvalidationChannel {
  return {
    announce(userId) {
      if (!worker.connected || !worker.send) return;
      const message: SessionStateMessage = { type: 'auth:session-state-changed', userId };
      worker.send(message, undefined, {}, (error) => {
        if (error) logger.error({ err: error }, 'could not tell the other workers of a session change');
      });
    },
    listen(onNotice) {
      worker.on('message', (message: unknown) => {
        if (isNotice(message)) onNotice(message.userId);
      });
    },
    isLive: () => worker.connected === true,
    close: async () => undefined,
  };
}

/** The primary's part: every notice from one worker goes to all the others. */
export function relaySessionNotices(cluster: Cluster): void {
  cluster.on('message', (from, message: unknown) => {
    if (!isNotice(message)) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker && worker !== from && worker.isConnected()) worker.send(message, undefined, undefined, () => undefined);
    }
  });
}
