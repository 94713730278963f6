import { ApiError, call, CallOptions, TokenResponse } from './api.js';
import { listenToOtherTabs, tellOtherTabs, withRefreshLock } from './tabs.js';

/**
 * The browser side of a session. The access token lives in this module's memory
 * only (never in storage, where any injected script could read it); the refresh
 * token lives in an HttpOnly cookie the page cannot read at all, so a reload
 * restores the session by asking /token/refresh with that cookie. The access token
 * is refreshed shortly before it expires, and once more on a 401 that says it
 * expired or was revoked (a password change in another tab leaves the cookie good).
 */

export interface SessionListener {
  signedIn(): void;
  /** The session is over; `message` says why, or is null when there was none to begin with. */
  signedOut(message: string | null): void;
  /** A background refresh failed for a reason that may pass (server unreachable, throttled). */
  trouble(error: unknown): void;
}

interface Access {
  token: string;
  expiresAt: number; // epoch ms
  lifetime: number; // ms
}

const RETRY_MS = 5_000;
// Refresh when a fifth of the lifetime is left, but never earlier than a minute before expiry.
const refreshLead = (lifetime: number) => Math.min(60_000, lifetime / 5);

export function createSession(listener: SessionListener) {
  let access: Access | null = null;
  let timer: number | undefined;

  function schedule(delay: number): void {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void refresh().catch(retryLater), Math.max(500, delay));
  }

  function retryLater(error: unknown): void {
    listener.trouble(error);
    if (access) schedule(error instanceof ApiError && error.retryAfter !== null ? error.retryAfter * 1000 : RETRY_MS);
  }

  function adopt(next: Access, announce: boolean): void {
    const wasSignedOut = access === null;
    access = next;
    schedule(next.expiresAt - Date.now() - refreshLead(next.lifetime));
    if (announce) tellOtherTabs({ type: 'tokens', accessToken: next.token, expiresAt: next.expiresAt });
    if (wasSignedOut) listener.signedIn();
  }

  function adoptResponse(tokens: TokenResponse): void {
    const lifetime = tokens.expires_in * 1000;
    adopt({ token: tokens.access_token, expiresAt: Date.now() + lifetime, lifetime }, true);
  }

  function end(message: string | null, announce: boolean): void {
    window.clearTimeout(timer);
    access = null;
    if (announce) tellOtherTabs({ type: 'signed-out' });
    listener.signedOut(message);
  }

  /**
   * Trades the cookie for a new access token, one tab at a time. A tab that waited
   * for the lock while another refreshed has already received the new token by
   * broadcast and skips the request. Resolves false when the session is over.
   */
  function refresh(): Promise<boolean> {
    const seen = access?.expiresAt ?? 0;
    const hadSession = access !== null;
    return withRefreshLock(async () => {
      if (access && access.expiresAt > seen) return true;
      if (hadSession && !access) return false; // it ended while this call waited for the lock
      try {
        adoptResponse(await call<TokenResponse>('/token/refresh', { method: 'POST', cookieDelivery: true }));
        return true;
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 400 && error.status !== 401)) throw error;
        // 400: no cookie at all (nobody logged in); 401: the cookie's session is over.
        end(hadSession ? 'Your session has ended. Please log in again.' : null, hadSession);
        return false;
      }
    });
  }

  /** A call with the access token; a 401 for an expired or revoked token gets one refresh and one retry. */
  async function authorized<T>(path: string, options: CallOptions = {}): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      if (!access) throw new ApiError(401, 'token_missing', 'Not logged in.', [], null);
      try {
        return await call<T>(path, { ...options, accessToken: access.token });
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
        const stale = error.code === 'token_expired' || error.code === 'token_revoked' || error.code === 'token_stale';
        if (!stale || attempt > 0) {
          end('Your session has ended. Please log in again.', false);
          throw error;
        }
        if (!(await refresh())) throw error;
      }
    }
  }

  listenToOtherTabs((message) => {
    if (message.type === 'tokens') {
      const lifetime = access?.lifetime ?? Math.max(1000, message.expiresAt - Date.now());
      adopt({ token: message.accessToken, expiresAt: message.expiresAt, lifetime }, false);
    } else if (access) {
      end('You logged out in another tab.', false);
    }
  });

  // Background tabs' timers are throttled: catch up as soon as the tab is looked at again.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && access && access.expiresAt - Date.now() < refreshLead(access.lifetime)) {
      void refresh().catch(retryLater);
    }
  });

  return {
    authorized,

    /** Whether this tab holds an access token. */
    active: (): boolean => access !== null,

    /**
     * Forgets this tab's session without a call: after a password reset the server
     * has already ended every session. Other tabs find out on their next call.
     */
    discard(): void {
      end(null, false);
    },

    /** On page load: the cookie, if any, becomes a session. Throws only when the server cannot be asked. */
    restore: refresh,

    async login(username: string, password: string): Promise<void> {
      adoptResponse(await call<TokenResponse>('/token', { method: 'POST', body: { grant_type: 'password', username, password }, cookieDelivery: true }));
    },

    async register(username: string, password: string, email: string | undefined): Promise<void> {
      await call('/auth/register', { method: 'POST', body: { username, password, ...(email ? { email } : {}) } });
      await this.login(username, password);
    },

    /** Every other session ends; this tab gets a fresh token pair (the refresh token again in the cookie). */
    async changePassword(current: string, next: string): Promise<void> {
      adoptResponse(
        await authorized<TokenResponse>('/users/me/password', {
          method: 'PUT',
          body: { current_password: current, new_password: next },
          cookieDelivery: true,
        }),
      );
    },

    /** Logs out this session (the server revokes the cookie's token and clears the cookie) or every session. */
    async logout(all: boolean): Promise<void> {
      await authorized('/auth/logout', { method: 'POST', body: all ? { all: true } : {}, cookieDelivery: true });
      end(all ? 'You have been logged out everywhere.' : 'You have been logged out.', true);
    },
  };
}

export type Session = ReturnType<typeof createSession>;
