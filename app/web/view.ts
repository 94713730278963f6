import type { FieldMessage, Profile } from './api.js';

/**
 * Everything the page writes into the DOM goes through textContent: a username,
 * an email or a server message is always shown as text, never parsed as HTML.
 */

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

export const byId = element;

export type Screen = 'loading' | 'signed-out' | 'signed-in' | 'reset';

const SCREENS: readonly Screen[] = ['loading', 'signed-out', 'signed-in', 'reset'];

export function showScreen(screen: Screen): void {
  for (const id of SCREENS) element(id).hidden = id !== screen;
}

export function currentScreen(): Screen | undefined {
  return SCREENS.find((id) => !element(id).hidden);
}

export type SignedOutForm = 'login' | 'register' | 'forgot';

/** Shows one form of the signed-out card; "Forgot password?" belongs to the Log in tab. */
export function selectForm(form: SignedOutForm): void {
  for (const id of ['login', 'register', 'forgot'] as const) element(`${id}-form`).hidden = id !== form;
  element('show-login').setAttribute('aria-selected', String(form !== 'register'));
  element('show-register').setAttribute('aria-selected', String(form === 'register'));
  showStatus(null);
}

/** Moves keyboard focus (and a screen reader's attention) to the element, as a new view opens. */
export function focusOn(id: string): void {
  element(id).focus();
}

export function showStatus(message: string | null, kind: 'info' | 'error' = 'info'): void {
  const status = element<HTMLParagraphElement>('status');
  status.textContent = message ?? '';
  status.classList.toggle('error', kind === 'error');
  status.hidden = message === null;
}

export function clearFieldErrors(form: HTMLFormElement): void {
  for (const slot of form.querySelectorAll<HTMLElement>('.field-error')) {
    slot.textContent = '';
    slot.hidden = true;
  }
  for (const input of form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
}

/** Puts each server field message under its input; messages for fields this form lacks are returned. */
export function showFieldErrors(form: HTMLFormElement, fields: FieldMessage[]): FieldMessage[] {
  const unplaced: FieldMessage[] = [];
  for (const { field, message } of fields) {
    const slot = form.querySelector<HTMLElement>(`.field-error[data-field="${CSS.escape(field)}"]`);
    if (!slot) {
      unplaced.push({ field, message });
      continue;
    }
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    slot.hidden = false;
    form.querySelector(`input[name="${CSS.escape(field)}"]`)?.setAttribute('aria-invalid', 'true');
  }
  return unplaced;
}

export function renderProfile(profile: Profile): void {
  element('profile-username').textContent = profile.username;
  element<HTMLInputElement>('password-username').value = profile.username; // for password managers
  element('profile-email').textContent = profile.email ?? '—';
  const verified = profile.email_verified === true;
  const state = element('profile-email-state');
  state.hidden = profile.email === null;
  state.textContent = verified ? 'Verified' : 'Not verified';
  state.classList.toggle('verified', verified);
  element('verify-prompt').hidden = profile.email === null || verified;
  element('profile-id').textContent = profile.id;
  const created = new Date(profile.created_at);
  element('profile-created').textContent = Number.isNaN(created.getTime()) ? profile.created_at : created.toLocaleDateString();
}

export function renderProtected(payload: unknown): void {
  element('protected-payload').textContent = JSON.stringify(payload, null, 2);
}

/** Disables a button while its action runs, so a double click sends one request. */
export async function whileBusy(button: HTMLButtonElement, action: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await action();
  } finally {
    button.disabled = false;
  }
}
