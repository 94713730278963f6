/**
 * How a process learns that another process changed a user's session state
 * (session version, role, disabled flag): the notice that lets it drop its cached
 * copy (app/services/session-state.service.ts). `null` stands for every user: a
 * notice for an unknown set, or notices that may have been missed.
 */
export type SessionStateNotice = string | null;

export interface InvalidationChannel {
  /** Tells the other processes a user's state changed. Called after the write committed. */
  announce(userId: SessionStateNotice): void;
  /** The handler for notices from other processes (at most one per channel). */
  listen(onNotice: (userId: SessionStateNotice) => void): void;
  /**
   * False while a notice could be missed (a connection down, not yet up): the
   * cache must not be trusted then, and every check reads the database.
   */
  isLive(): boolean;
  /**
   * The handler for changes to the signing keys (app/keys/database-key-ring.ts),
   * where the channel carries them: PostgreSQL notifies them as it does session
   * changes. Also called whenever such a notice may have been missed (a reconnect).
   */
  listenForKeyChanges?(onChange: () => void): void;
  close(): Promise<void>;
}

/** One process alone: nobody else to tell, nothing to miss. */
export const singleProcessChannel: InvalidationChannel = {
  announce: () => undefined,
  listen: () => undefined,
  isLive: () => true,
  close: async () => undefined,
};

/** Several channels at once (the cluster's and PostgreSQL's): live only while every one is. */
export function combineChannels(channels: InvalidationChannel[]): InvalidationChannel {
  if (channels.length === 1) return channels[0];
  return {
    announce: (userId) => channels.forEach((channel) => channel.announce(userId)),
    listen: (onNotice) => channels.forEach((channel) => channel.listen(onNotice)),
    listenForKeyChanges: (onChange) => channels.forEach((channel) => channel.listenForKeyChanges?.(onChange)),
    isLive: () => channels.every((channel) => channel.isLive()),
    close: async () => {
      await Promise.all(channels.map((channel) => channel.close()));
    },
  };
}
