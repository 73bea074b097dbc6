// An in-page confirmation before an action that cannot be undone (log off, revoke, delete): a modal dialog that
// says what will happen, with Cancel focused first. Not window.confirm, which blocks the page, cannot say what the
// action ends in the console's words, and which browsers may suppress.
import {h} from '/js/ui.js';

/**
 * Asks the admin to confirm; resolves true for the action button, false for Cancel or Escape. The dialog is gone
 * when the promise resolves, and focus is back where it was.
 */
export function confirmAction({title, message, action}) {
  return new Promise(resolve => {
    const before = document.activeElement;
    const cancel = h('button', {type: 'button', class: 'secondary', id: 'confirm-cancel'}, 'Cancel');
    const ok = h('button', {type: 'button', class: 'danger', id: 'confirm-ok'}, action);
    const dialog = h('dialog', {class: 'card confirm', id: 'confirm-dialog', 'aria-labelledby': 'confirm-title',
      'aria-describedby': 'confirm-message'},
    h('h2', {id: 'confirm-title'}, title), h('p', {id: 'confirm-message'}, message),
    h('div', {class: 'actions'}, cancel, ok));
    const answer = confirmed => {
      dialog.close();
      dialog.remove();
      if (before instanceof HTMLElement && before.isConnected) {
        before.focus();
      }
      resolve(confirmed);
    };
    cancel.addEventListener('click', () => answer(false));
    ok.addEventListener('click', () => answer(true));
    dialog.addEventListener('cancel', event => {
      event.preventDefault();
      answer(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
