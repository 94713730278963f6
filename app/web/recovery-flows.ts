import { ApiError, Profile } from './api.js';
import { onSubmit, report, text } from './forms.js';
import { seconds } from './messages.js';
import { confirmEmail, requestPasswordReset, resetPassword } from './recovery.js';
import type { Session } from './session.js';
import { byId, focusOn, selectForm, showFieldErrors, showScreen, showStatus, whileBusy } from './view.js';

/**
 * The page's account-recovery flows: "Forgot password?", the reset form a mailed
 * link opens, the landing that confirms an address, and the profile's "Resend
 * verification mail". None of them ever says whether an address has an account.
 */

export interface RecoveryDeps {
  session: Session;
  /** Reloads the profile shown; resolves with it, or null when that failed (the failure is shown). */
  loadProfile(): Promise<Profile | null>;
  /** Leaves the reset form for whatever the session calls for (the profile, or the login form). */
  leaveResetForm(): void;
}

const isApiError = (error: unknown, status: number, code?: string): error is ApiError =>
  error instanceof ApiError && error.status === status && (code === undefined || error.code === code);

function minutesOrSeconds(wait: number | null): string {
  if (wait === null) return 'later';
  if (wait < 120) return `in ${seconds(wait)}`;
  return `in ${Math.ceil(wait / 60)} minutes`;
}

export function wireRecovery(deps: RecoveryDeps) {
  const { session } = deps;
  // The token of the reset link that opened the form: in memory only, like the access token.
  let resetToken = '';
  let resetUsername = '';

  function showInvalidResetLink(): void {
    resetToken = '';
    showScreen('signed-out');
    selectForm('forgot');
    showStatus('This reset link is invalid or has expired. Ask for a new one below.', 'error');
    focusOn('forgot-email');
  }

  byId('show-forgot').addEventListener('click', () => {
    selectForm('forgot');
    focusOn('forgot-email');
  });
  byId('forgot-back').addEventListener('click', () => {
    selectForm('login');
    focusOn('login-username');
  });

  onSubmit('forgot-form', 'forgot-submit', async (data, form) => {
    const email = text(data, 'email').trim();
    try {
      await requestPasswordReset(email);
    } catch (error) {
      if (!isApiError(error, 404)) throw error;
      showStatus('Password reset by mail is not available on this server.', 'error');
      return;
    }
    form.reset();
    // The same words whether or not an account has this address: the server's answer is the same too.
    showStatus(`If an account has the verified address ${email}, a link to choose a new password is on its way to it. Check your inbox.`);
  });

  onSubmit('reset-form', 'reset-submit', async (data, form) => {
    const password = text(data, 'new_password');
    if (password !== text(data, 'confirm_password')) {
      showFieldErrors(form, [{ field: 'confirm_password', message: 'The two passwords differ.' }]);
      showStatus('Please correct the highlighted fields.', 'error');
      focusOn('reset-confirm');
      return;
    }
    let username: string | null;
    try {
      ({ username } = await resetPassword(resetToken, password));
    } catch (error) {
      if (!isApiError(error, 400, 'invalid_token')) throw error;
      form.reset();
      showInvalidResetLink();
      return;
    }
    resetToken = '';
    form.reset();
    // The server ended every session of the account, this tab's too: no automatic login (OWASP).
    session.discard();
    showScreen('signed-out');
    selectForm('login');
    username ??= resetUsername || null;
    byId<HTMLInputElement>('login-username').value = username ?? '';
    showStatus('Your password is changed and every session was logged out. Log in with the new password.');
    focusOn(username ? 'login-password' : 'login-username');
  });

  byId('reset-cancel').addEventListener('click', () => {
    resetToken = '';
    byId<HTMLFormElement>('reset-form').reset();
    deps.leaveResetForm();
  });

  const resend = byId<HTMLButtonElement>('resend-verification');
  resend.addEventListener('click', () => {
    showStatus(null);
    void whileBusy(resend, async () => {
      try {
        await session.authorized('/auth/email/resend', { method: 'POST' });
        showStatus('A new verification mail is on its way. Its link confirms your address.');
      } catch (error) {
        if (isApiError(error, 429)) {
          showStatus(`Too many verification mails for now. Try again ${minutesOrSeconds(error.retryAfter)}.`, 'error');
        } else if (isApiError(error, 409)) {
          // Verified meanwhile (another tab, another device) or the address is gone: the profile says which.
          const profile = await deps.loadProfile();
          if (profile?.email_verified) showStatus('Your address is already verified.');
          else if (profile) showStatus('There is no address to verify.', 'error');
        } else {
          report(error);
        }
      }
    });
  });

  return {
    /** The page opened on (or moved to) a reset link: the form for the new password. */
    openResetForm(token: string, username = ''): void {
      if (token === '') return showInvalidResetLink();
      resetToken = token;
      resetUsername = username;
      byId<HTMLFormElement>('reset-form').reset();
      showScreen('reset');
      showStatus(null);
      focusOn('reset-title');
    },

    /** The page opened on (or moved to) a verification link: confirms the address and says how that went. */
    async confirmAddress(token: string): Promise<void> {
      showStatus('Confirming your email address…');
      try {
        if (token === '') throw new ApiError(400, 'invalid_token', 'No token in the link.', [], null);
        await confirmEmail(token);
        showStatus('Your email address is confirmed.');
      } catch (error) {
        if (isApiError(error, 400)) showStatus('This verification link is invalid or has expired. Log in to have a new one sent.', 'error');
        else report(error);
      }
    },
  };
}
