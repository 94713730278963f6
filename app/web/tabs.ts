/**
 * Coordination between tabs of this page. The refresh cookie is shared by all of
 * them, so only one tab at a time may rotate it (a Web Lock), and whoever gets a
 * new access token or logs out tells the others (a BroadcastChannel). The server's
 * reuse grace interval would survive concurrent refreshes anyway; this just keeps
 * them from happening. Both APIs are optional: without them each tab works alone.
 */

export type TabMessage = { type: 'tokens'; accessToken: string; expiresAt: number } | { type: 'signed-out' };

const LOCK_NAME = 'auth-server-refresh';
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('auth-server-session') : null;

/** Runs `task` while holding the refresh lock shared by every tab of this origin. */
export function withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
  if (typeof navigator.locks?.request !== 'function') return task();
  // lib.dom types request() as Promise<Promise<T>> for an async callback; at run time it resolves to T.
  return navigator.locks.request(LOCK_NAME, task) as unknown as Promise<T>;
}

export function tellOtherTabs(message: TabMessage): void {
  channel?.postMessage(message);
}

export function listenToOtherTabs(handler: (message: TabMessage) => void): void {
  channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => handler(event.data));
}
