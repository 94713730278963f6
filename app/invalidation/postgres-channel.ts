import { Client } from 'pg';
import type { Logger } from 'pino';
import type { InvalidationChannel, SessionStateNotice } from './channel';

/** The channel migration 008's trigger notifies, with the user's id as payload. */
export const SESSION_STATE_CHANNEL = 'auth_session_state';
/** The channel migration 009's trigger notifies on any change to the signing keys. */
export const SIGNING_KEYS_CHANNEL = 'auth_signing_keys';

/**
 * Timing of the listening connection. A connection that dies says so at once
 * (an error, an end); one that goes silent (a partition) is found by the
 * heartbeat: a query that gets no answer within `heartbeatTimeoutMs`.
 */
export const LISTENER_TIMING = { heartbeatMs: 5_000, heartbeatTimeoutMs: 2_000, reconnectMinMs: 100, reconnectMaxMs: 5_000 };

/**
 * Notices through PostgreSQL's LISTEN/NOTIFY, for every process on one database,
 * on one machine or many. Nothing here announces: a trigger on `users` (migration
 * 008) notifies from within the writing transaction, so the notice is sent if and
 * only if the write commits, whoever wrote it (this server, another instance, the
 * users CLI, raw SQL). A notice can only be missed while the listening connection
 * is down; the channel is not live then, and on every (re)connect it tells the
 * cache to forget everything it holds.
 */
export function postgresChannel(url: string, logger: Logger, timing = LISTENER_TIMING): InvalidationChannel & { ready(): Promise<void> } {
  let onNotice: (userId: SessionStateNotice) => void = () => undefined;
  let onKeyChange: () => void = () => undefined;
  let client: Client | null = null;
  let live = false;
  let closed = false;
  let failures = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let wasDown = false;

  function down(current: Client, error?: unknown): void {
    if (client !== current) return; // an old connection's late event
    client = null;
    live = false;
    clearInterval(heartbeat);
    current.removeAllListeners('notification');
    current.on('error', () => undefined);
    void current.end().catch(() => undefined);
    if (closed) return;
    if (!wasDown) logger.warn({ err: error }, 'lost the PostgreSQL notice channel: checking sessions in the database until it is back');
    wasDown = true;
    const delay = Math.min(timing.reconnectMaxMs, timing.reconnectMinMs * 2 ** failures);
    failures += 1;
    reconnectTimer = setTimeout(() => void connect().catch(() => undefined), delay);
    reconnectTimer.unref();
  }

  async function connect(): Promise<void> {
    const current = new Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 3_000 });
    client = current;
    current.on('error', (error) => down(current, error));
    current.on('end', () => down(current));
    current.on('notification', (message) => {
      if (message.channel === SESSION_STATE_CHANNEL) onNotice(message.payload || null);
      else if (message.channel === SIGNING_KEYS_CHANNEL) onKeyChange();
    });
    try {
      await current.connect();
      await current.query(`LISTEN ${SESSION_STATE_CHANNEL}; LISTEN ${SIGNING_KEYS_CHANNEL}`);
    } catch (error) {
      down(current, error);
      throw error;
    }
    if (client !== current) return;
    // Whatever was notified while no connection listened is unknown: start afresh.
    onNotice(null);
    onKeyChange();
    live = true;
    failures = 0;
    if (wasDown) logger.info('the PostgreSQL notice channel is back');
    wasDown = false;
    heartbeat = setInterval(() => beat(current), timing.heartbeatMs);
    heartbeat.unref();
  }

  function beat(current: Client): void {
    const timeout = setTimeout(() => down(current, new Error('notice channel heartbeat timed out')), timing.heartbeatTimeoutMs);
    current.query('SELECT 1').then(
      () => clearTimeout(timeout),
      (error: unknown) => {
        clearTimeout(timeout);
        down(current, error);
      },
    );
  }

  const firstConnect = connect();
  firstConnect.catch(() => undefined);

  return {
    announce: () => undefined,
    listen(handler) {
      onNotice = handler;
    },
    listenForKeyChanges(handler) {
      onKeyChange = handler;
    },
    isLive: () => live,
    /** Resolves once listening (or rejects when the first attempt failed; it keeps retrying). */
    ready: () => firstConnect,
    async close() {
      closed = true;
      live = false;
      clearInterval(heartbeat);
      clearTimeout(reconnectTimer);
      const current = client;
      client = null;
      // A partitioned server never answers the goodbye: wait for it only so long.
      let timer: NodeJS.Timeout | undefined;
      const givenUp = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timing.heartbeatTimeoutMs);
      });
      await Promise.race([current?.end().catch(() => undefined), givenUp]);
      clearTimeout(timer);
    },
  };
}
