import type { Profile } from './api.js';
import { describe } from './messages.js';
import { createSession } from './session.js';
import { byId, clearFieldErrors, renderProfile, renderProtected, showFieldErrors, showScreen, showStatus, whileBusy } from './view.js';

/** Wires the page: forms and buttons call the session, and its outcomes become screens and messages. */

const session = createSession({
  signedIn() {
    showScreen('signed-in');
    void loadProfile();
  },
  signedOut(message) {
    showScreen('signed-out');
    showStatus(message);
  },
  trouble(error) {
    showStatus(describe(error).message, 'error');
  },
});

/** Shows a failure: the message on top, field messages under their inputs (any left over join the top message). */
function report(error: unknown, form?: HTMLFormElement): void {
  const { message, fields } = describe(error);
  const unplaced = form ? showFieldErrors(form, fields) : fields;
  showStatus([message, ...unplaced.map((f) => f.message)].join(' '), 'error');
}

async function loadProfile(): Promise<void> {
  try {
    const [profile, payload] = await Promise.all([session.authorized<Profile>('/users/me'), session.authorized<unknown>('/protected')]);
    renderProfile(profile);
    renderProtected(payload);
  } catch (error) {
    report(error);
  }
}

function onSubmit(formId: string, submitId: string, action: (data: FormData, form: HTMLFormElement) => Promise<void>): void {
  const form = byId<HTMLFormElement>(formId);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    showStatus(null);
    void whileBusy(byId<HTMLButtonElement>(submitId), async () => {
      try {
        await action(new FormData(form), form);
      } catch (error) {
        report(error, form);
      }
    });
  });
}

const text = (data: FormData, name: string): string => String(data.get(name) ?? '');

function selectTab(tab: 'login' | 'register'): void {
  byId('login-form').hidden = tab !== 'login';
  byId('register-form').hidden = tab !== 'register';
  byId('show-login').setAttribute('aria-selected', String(tab === 'login'));
  byId('show-register').setAttribute('aria-selected', String(tab === 'register'));
  showStatus(null);
}

byId('show-login').addEventListener('click', () => selectTab('login'));
byId('show-register').addEventListener('click', () => selectTab('register'));

onSubmit('login-form', 'login-submit', async (data, form) => {
  await session.login(text(data, 'username'), text(data, 'password'));
  form.reset();
});

onSubmit('register-form', 'register-submit', async (data, form) => {
  await session.register(text(data, 'username'), text(data, 'password'), text(data, 'email') || undefined);
  form.reset();
  selectTab('login');
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
  void whileBusy(byId<HTMLButtonElement>('reload-profile'), loadProfile);
});

session.restore().catch((error: unknown) => {
  showScreen('signed-out');
  report(error);
});
