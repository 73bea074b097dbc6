// The sign-in form of the store and the console: cancelable while it waits, with the appliance's own
// explanation when it refuses. Only the HttpOnly session cookie and the CSRF token are kept; the bearer token
// in the response is for command-line clients and is dropped here.
import {api, describe, setCsrfToken} from './api.js';
import {h} from './ui.js';

/**
 * @param heading the form's heading
 * @param onSignedIn called with the signed-in user ({username, displayName, roles})
 */
export function signInForm(heading, onSignedIn) {
  const error = h('p', {class: 'error', role: 'alert', id: 'signin-error'});
  const status = h('p', {class: 'muted', role: 'status', id: 'signin-status'});
  const username = h('input', {id: 'signin-username', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false'});
  const password = h('input', {id: 'signin-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true});
  const submit = h('button', {type: 'submit', id: 'signin-submit'}, 'Sign in');
  const cancel = h('button', {type: 'button', class: 'secondary', id: 'signin-cancel', hidden: true}, 'Cancel');
  let pending = null;

  const form = h('form', {class: 'stacked', 'aria-describedby': 'signin-error', novalidate: true},
    h('label', {for: 'signin-username'}, 'User name', username),
    h('label', {for: 'signin-password'}, 'Password', password),
    h('div', {class: 'actions'}, submit, cancel),
    status, error);

  function busy(on) {
    username.disabled = on;
    password.disabled = on;
    submit.disabled = on;
    cancel.hidden = !on;
    status.textContent = on ? 'Signing in…' : '';
  }

  form.addEventListener('submit', async event => {
    event.preventDefault();
    error.textContent = '';
    if (!username.value.trim() || !password.value) {
      error.textContent = 'Enter your user name and password.';
      (username.value.trim() ? password : username).focus();
      return;
    }
    pending = new AbortController();
    busy(true);
    try {
      const {data} = await api('/api/v1/login', {method: 'POST', signal: pending.signal,
        body: {username: username.value.trim(), password: password.value}});
      setCsrfToken(data.csrfToken);
      password.value = '';
      busy(false);
      onSignedIn(data.user);
    } catch (e) {
      busy(false);
      if (e.name === 'AbortError') {
        status.textContent = 'Sign-in cancelled.';
      } else {
        error.textContent = describe(e, 'sign in');
      }
      password.focus();
    } finally {
      pending = null;
    }
  });
  cancel.addEventListener('click', () => pending?.abort());

  return h('section', {class: 'card signin', 'aria-labelledby': 'signin-heading'},
    h('h1', {id: 'signin-heading'}, heading), form);
}
