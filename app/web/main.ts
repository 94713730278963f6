import type { Profile } from './api.js';
import { onSubmit, report, text } from './forms.js';
import { AccountLink, takeAccountLink } from './links.js';
import { describe } from './messages.js';
import { wireRecovery } from './recovery-flows.js';
import { createSession } from './session.js';
import { byId, currentScreen, renderProfile, renderProtected, selectForm, showScreen, showStatus, whileBusy } from './view.js';

/** Wires the page: forms and buttons call the session, and its outcomes become screens and messages. */

const session = createSession({
  signedIn() {
    // A reset form stays open until the person submits or leaves it.
    if (currentScreen() === 'reset') return;
    showScreen('signed-in');
    void loadProfile();
  },
  signedOut(message) {
    if (currentScreen() === 'reset') return;
    showScreen('signed-out');
    if (message !== null) showStatus(message);
  },
  trouble(error) {
    showStatus(describe(error).message, 'error');
  },
});

async function loadProfile(): Promise<Profile | null> {
  try {
    const [profile, payload] = await Promise.all([session.authorized<Profile>('/users/me'), session.authorized<unknown>('/protected')]);
    renderProfile(profile);
    renderProtected(payload);
    return profile;
  } catch (error) {
    report(error);
    return null;
  }
}

function restoreSession(): void {
  session.restore().catch((error: unknown) => {
    showScreen('signed-out');
    report(error);
  });
}

const recovery = wireRecovery({
  session,
  loadProfile,
  leaveResetForm() {
    if (session.active()) {
      showScreen('signed-in');
      void loadProfile();
    } else {
      showScreen('loading');
      restoreSession();
    }
  },
});

byId('show-login').addEventListener('click', () => selectForm('login'));
byId('show-register').addEventListener('click', () => selectForm('register'));

onSubmit('login-form', 'login-submit', async (data, form) => {
  await session.login(text(data, 'username'), text(data, 'password'));
  form.reset();
});

onSubmit('register-form', 'register-submit', async (data, form) => {
  await session.register(text(data, 'username'), text(data, 'password'), text(data, 'email') || undefined);
  form.reset();
  selectForm('login');
  showStatus('Account created. You are logged in.');
});

onSubmit('password-form', 'password-submit', async (data, form) => {
  await session.changePassword(text(data, 'current_password'), text(data, 'new_password'));
  form.reset();
  byId<HTMLDetailsElement>('password-card').open = false;
  showStatus('Password changed. Your other sessions have been logged out.');
});

for (const [id, all] of [['logout', false], ['logout-all', true]] as const) {
  const button = byId<HTMLButtonElement>(id);
  button.addEventListener('click', () => {
    showStatus(null);
    void whileBusy(button, () => session.logout(all).catch((error: unknown) => report(error)));
  });
}

byId('reload-profile').addEventListener('click', () => {
  showStatus(null);
  void whileBusy(byId<HTMLButtonElement>('reload-profile'), async () => {
    await loadProfile();
  });
});

/**
 * Where the page goes for a mailed link. On the first load the session is
 * restored only after a verification is confirmed (so the profile shows it), and
 * not at all under a reset form. A link opened in a tab already showing the page
 * only changes the fragment: the page follows it without a reload.
 */
async function follow(link: AccountLink | null, firstLoad: boolean): Promise<void> {
  if (link?.kind === 'reset') return recovery.openResetForm(link.token, link.username);
  if (link?.kind === 'verify') await recovery.confirmAddress(link.token);
  if (firstLoad) restoreSession();
  else if (currentScreen() === 'signed-in') await loadProfile();
}

window.addEventListener('hashchange', () => {
  const link = takeAccountLink();
  if (link) void follow(link, false);
});

void follow(takeAccountLink(), true);
