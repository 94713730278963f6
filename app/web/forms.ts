import { describe } from './messages.js';
import { byId, clearFieldErrors, showFieldErrors, showStatus, whileBusy } from './view.js';

/** How every form of the page submits and how every failure is shown. */

/** Shows a failure: the message on top, field messages under their inputs (any left over join the top message). */
export function report(error: unknown, form?: HTMLFormElement): void {
  const { message, fields } = describe(error);
  const unplaced = form ? showFieldErrors(form, fields) : fields;
  showStatus([message, ...unplaced.map((f) => f.message)].join(' '), 'error');
}

/** Submits `formId` through `action` with its button disabled meanwhile; earlier messages are cleared first. */
export function onSubmit(formId: string, submitId: string, action: (data: FormData, form: HTMLFormElement) => Promise<void>): void {
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

export const text = (data: FormData, name: string): string => String(data.get(name) ?? '');
