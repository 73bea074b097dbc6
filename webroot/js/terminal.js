// The browser terminal (terminal.html?resource=ID): launches an SSH resource like the store does, then opens the
// appliance's terminal gateway with the ticket; the appliance logs in to the host with SSH and carries the shell.
// What the user types to log in (a password or a private key) goes to the appliance once and is not kept here or
// there. A dropped connection is resumed with the token the appliance gave; see docs/browser-sessions.md.
import {api, ApiError, describe, setCsrfToken} from './api.js';
import {adoptInlineStyles} from './adopted-styles.js';
import {fill, h} from './ui.js';
import {Terminal} from '/vendor/xterm/xterm.js';
import {FitAddon} from '/vendor/xterm/addon-fit.js';

const PROTOCOL_VERSION = 1;
const PING_MS = 10000;
/** No pong for this long: the link is taken for dropped and resumed. */
const PONG_TIMEOUT_MS = 25000;
/** The appliance keeps a dropped terminal for 60 s; the page stops trying a little before. */
const RESUME_FOR_MS = 55000;
/** Close code the page uses for a link it gave up on: not 1000/1001, so the appliance keeps the shell. */
const DROPPED = 4000;

const main = document.getElementById('main');
const who = document.getElementById('who');
const encoder = new TextEncoder();

const state = {
  user: null,
  resource: null,
  term: null,
  fit: null,
  socket: null,
  resume: null,
  connected: false,
  ended: false,
  lastPong: 0,
  pinger: null,
  view: null,
};

start();

async function start() {
  const id = new URLSearchParams(location.search).get('resource');
  try {
    const {data} = await api('/api/v1/me');
    setCsrfToken(data.csrfToken);
    state.user = data.user;
    fill(who, h('span', {id: 'signed-in-user'}, data.user.displayName || data.user.username));
    const {data: list} = await api('/api/v1/resources');
    state.resource = (list.items || []).find(r => r.id === id || r.name === id) || null;
  } catch (e) {
    const signedOut = e instanceof ApiError && e.status === 401;
    page('Terminal', h('p', {class: 'error', role: 'alert'}, signedOut
      ? 'You are not signed in. Sign in to the store, then open the app again.' : describe(e, 'open the terminal')),
    h('p', {}, h('a', {href: '/'}, 'Go to the store')));
    return;
  }
  if (!state.resource) {
    page('Terminal', h('p', {class: 'error', role: 'alert'}, 'This app is not published to you, or no longer exists.'),
      h('p', {}, h('a', {href: '/'}, 'Go to the store')));
    return;
  }
  document.title = `${title()} · Outpost`;
  if (state.resource.hostLogin) {
    showSiteLogin('', true);
  } else {
    showLoginForm('');
  }
}

/**
 * The site logs in for the user (the resource has a host login and the hosts trust the site's SSH user CA): no
 * password to ask; the first time the page connects at once.
 */
function showSiteLogin(error, now) {
  const errorLine = h('p', {class: 'error', role: 'alert', id: 'connect-error'}, error);
  const status = h('p', {class: 'muted', role: 'status', id: 'connect-status'});
  const submit = h('button', {type: 'submit', id: 'connect'}, 'Connect');
  const form = h('form', {class: 'stacked', id: 'login-form', 'aria-describedby': 'connect-error login-note'},
    h('p', {class: 'hint', id: 'login-note'}, `Outpost logs you in to the host as ${state.resource.hostLogin} with `
      + 'a certificate that is valid for a few minutes: there is no password to type.'),
    h('div', {class: 'actions'}, submit, h('a', {href: '/'}, 'Back to the store')),
    status, errorLine);
  form.addEventListener('submit', event => {
    event.preventDefault();
    errorLine.textContent = '';
    submit.disabled = true;
    status.textContent = 'Connecting…';
    connect({}, status, errorLine, submit);
  });
  page(`Log in to ${title()}`, form);
  if (now) {
    form.requestSubmit();
  } else {
    submit.focus();
  }
}

function title() {
  return state.resource.displayName || state.resource.name;
}

/** Replaces the page's content under its heading. */
function page(heading, ...children) {
  fill(main, h('h1', {id: 'terminal-heading', tabindex: '-1'}, heading), ...children);
}

/** Asks how to log in to the host: a host user and its password or private key. */
function showLoginForm(error) {
  const login = h('input', {id: 'host-login', name: 'login', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false', value: state.user.username});
  const password = h('input', {id: 'host-password', name: 'password', type: 'password',
    autocomplete: 'current-password'});
  const key = h('textarea', {id: 'host-key', name: 'key', spellcheck: 'false', autocomplete: 'off',
    placeholder: '-----BEGIN OPENSSH PRIVATE KEY-----'});
  const keyFile = h('input', {id: 'host-key-file', type: 'file', onchange: async event => {
    const file = event.target.files[0];
    if (file) {
      key.value = await file.text();
    }
  }});
  const passphrase = h('input', {id: 'host-passphrase', type: 'password', autocomplete: 'off'});
  const byKey = h('input', {type: 'radio', name: 'method', id: 'method-key', value: 'key',
    onchange: () => switchMethod('key')});
  const byPassword = h('input', {type: 'radio', name: 'method', id: 'method-password', value: 'password',
    checked: true, onchange: () => switchMethod('password')});
  const passwordPart = h('div', {class: 'field'}, h('label', {for: 'host-password'}, 'Password', password));
  const keyPart = h('div', {class: 'field', hidden: true},
    h('label', {for: 'host-key'}, 'Private key', key),
    h('label', {for: 'host-key-file'}, 'Or read it from a file', keyFile),
    h('label', {for: 'host-passphrase'}, 'Passphrase of the key (if it has one)', passphrase));
  const errorLine = h('p', {class: 'error', role: 'alert', id: 'connect-error'}, error);
  const status = h('p', {class: 'muted', role: 'status', id: 'connect-status'});
  const submit = h('button', {type: 'submit', id: 'connect'}, 'Connect');

  function switchMethod(method) {
    passwordPart.hidden = method !== 'password';
    keyPart.hidden = method !== 'key';
  }

  const form = h('form', {class: 'stacked', id: 'login-form', 'aria-describedby': 'connect-error login-note',
    novalidate: true},
    h('label', {for: 'host-login'}, 'User on the host', login),
    h('fieldset', {}, h('legend', {}, 'Log in with'),
      h('label', {class: 'check', for: 'method-password'}, byPassword, 'Password'),
      h('label', {class: 'check', for: 'method-key'}, byKey, 'Private key')),
    passwordPart, keyPart,
    h('p', {class: 'hint', id: 'login-note'}, 'Outpost passes this to the host once to log you in and keeps it '
      + 'nowhere, neither here nor on the appliance.'),
    h('div', {class: 'actions'}, submit, h('a', {href: '/'}, 'Back to the store')),
    status, errorLine);
  form.addEventListener('submit', event => {
    event.preventDefault();
    errorLine.textContent = '';
    const usingKey = byKey.checked;
    if (!login.value.trim() || (usingKey ? !key.value.trim() : !password.value)) {
      errorLine.textContent = usingKey ? 'Enter the user on the host and paste its private key.'
        : 'Enter the user on the host and its password.';
      return;
    }
    const credentials = usingKey ? {privateKey: key.value, passphrase: passphrase.value || undefined}
      : {password: password.value};
    // the form (and with it what was typed) is dropped as soon as the hello is built
    submit.disabled = true;
    status.textContent = 'Connecting…';
    connect({login: login.value.trim(), ...credentials}, status, errorLine, submit);
  });
  page(`Log in to ${title()}`, form);
  login.focus();
}

/** Launches (a fresh ticket) and opens the terminal gateway with the ticket and the login. */
async function connect(credentials, status, errorLine, submit) {
  let launch;
  try {
    const {data} = await api(`/api/v1/resources/${encodeURIComponent(state.resource.id)}/launch`, {method: 'POST'});
    launch = data;
  } catch (e) {
    errorLine.textContent = describe(e, `start ${title()}`);
    status.textContent = '';
    submit.disabled = false;
    return;
  }
  const screen = showTerminal(launch);
  const {cols, rows} = state.term;
  open({v: PROTOCOL_VERSION, ticket: launch.ticket, cols, rows, ...credentials}, screen);
}

/** Builds the terminal view (xterm.js) once per connection attempt. */
function showTerminal(launch) {
  disposeTerminal();
  adoptInlineStyles();
  const stateLine = h('p', {class: 'terminal-state', id: 'terminal-state', role: 'status'}, 'Connecting…');
  const hostKey = h('p', {class: 'muted hostkey', id: 'terminal-hostkey'});
  const copy = h('button', {type: 'button', class: 'secondary', id: 'terminal-copy', onclick: copySelection},
    'Copy');
  const paste = h('button', {type: 'button', class: 'secondary', id: 'terminal-paste', onclick: pasteClipboard},
    'Paste');
  const disconnect = h('button', {type: 'button', class: 'danger', id: 'terminal-disconnect', onclick: () => {
    closeSocket(1000, 'closed by the user');
  }}, 'Disconnect');
  const screen = h('div', {class: 'terminal-screen', id: 'terminal', role: 'region',
    'aria-label': `Terminal on ${launch.session.host}`});
  page(title(),
    h('div', {class: 'terminal-bar'}, stateLine, h('div', {class: 'actions'}, copy, paste, disconnect)),
    hostKey, screen);
  const term = new Terminal({cursorBlink: true, convertEol: false, scrollback: 5000, fontSize: 15,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', screenReaderMode: false,
    theme: {background: '#000000', foreground: '#e6e6e6'}});
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  fit.fit();
  term.attachCustomKeyEventHandler(clipboardKeys);
  term.onData(data => send(encoder.encode(data)));
  term.onBinary(data => send(Uint8Array.from(data, c => c.charCodeAt(0) & 0xff)));
  term.onResize(({cols, rows}) => control({type: 'resize', cols, rows}));
  const observer = new ResizeObserver(() => fit.fit());
  observer.observe(screen);
  Object.assign(state, {term, fit, observer, connected: false, ended: false,
    view: {stateLine, hostKey, screen, host: launch.session.host}});
  return screen;
}

function disposeTerminal() {
  state.observer?.disconnect();
  state.term?.dispose();
  clearInterval(state.pinger);
  Object.assign(state, {term: null, fit: null, observer: null, pinger: null});
}

/** Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes; plain Ctrl+C stays the shell's interrupt. */
function clipboardKeys(event) {
  if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) {
    return true;
  }
  if (event.code === 'KeyC') {
    copySelection();
    return false;
  }
  if (event.code === 'KeyV') {
    pasteClipboard();
    return false;
  }
  return true;
}

async function copySelection() {
  const text = state.term?.getSelection();
  if (!text) {
    say('Select text in the terminal first, then copy it.');
    return;
  }
  try {
    await navigator.clipboard.writeText(text);
    say('Copied.');
  } catch {
    say('Copying is not allowed here: use your browser\'s Copy.');
  }
}

async function pasteClipboard() {
  try {
    const text = await navigator.clipboard.readText();
    state.term?.paste(text);
    state.term?.focus();
  } catch {
    say('Pasting is not allowed here: use your browser\'s Paste (Ctrl+V) in the terminal.');
  }
}

/** A short message on the state line, without losing what the state is. */
function say(message) {
  if (state.view) {
    state.view.stateLine.textContent = `${stateText()} ${message}`;
  }
}

function stateText() {
  return state.connected ? `Connected to ${state.view.host}.` : 'Not connected.';
}

/** Opens a socket to the terminal gateway and sends the hello (a ticket, or a resume token). */
function open(hello, screen, onRefused) {
  const socket = new WebSocket(`wss://${location.host}/gateway/terminal`);
  socket.binaryType = 'arraybuffer';
  state.socket = socket;
  let answered = false;
  socket.onopen = () => socket.send(JSON.stringify(hello));
  socket.onmessage = event => {
    if (socket !== state.socket) {
      return;
    }
    if (typeof event.data !== 'string') {
      state.term.write(new Uint8Array(event.data));
      return;
    }
    const message = JSON.parse(event.data);
    if (message.type === 'pong') {
      state.lastPong = Date.now();
    } else if (!answered && message.status === 200) {
      answered = true;
      connected(message, screen);
    }
  };
  socket.onclose = event => {
    if (socket !== state.socket) {
      return;
    }
    if (!answered) {
      (onRefused || refused)(event);
    } else {
      closed(event);
    }
  };
}

function connected(message, screen) {
  state.connected = true;
  state.lastPong = Date.now();
  if (message.resume) {
    state.resume = message.resume;
  }
  state.view.stateLine.classList.remove('lost');
  state.view.stateLine.textContent = message.resumed ? `Reconnected to ${state.view.host}.`
    : `Connected to ${state.view.host} as ${message.login}.`;
  if (message.hostKey) {
    // the pool's policy records this terminal: say so before anything is typed
    state.view.hostKey.textContent = `Host key ${message.hostKey}`
      + (message.recorded ? '. This session is recorded.' : '');
  }
  clearInterval(state.pinger);
  state.pinger = setInterval(ping, PING_MS);
  state.fit.fit();
  control({type: 'resize', cols: state.term.cols, rows: state.term.rows});
  if (!message.resumed) {
    screen.querySelector('textarea')?.focus();
  }
}

/** Refused before it connected: back to the form with the appliance's reason. */
function refused(event) {
  disposeTerminal();
  const reason = event.reason ? `Could not connect: ${event.reason}.`
    : 'Could not connect: the appliance closed the connection.';
  if (state.resource.hostLogin) {
    showSiteLogin(reason, false);
  } else {
    showLoginForm(reason);
  }
}

/** The socket of a connected terminal closed: ended for good, or a drop to resume. */
function closed(event) {
  state.connected = false;
  clearInterval(state.pinger);
  if (event.code === 1000 || state.ended) {
    ended(event.reason === 'idle timeout' ? 'The session was closed after a long time without use.'
      : 'The session ended.');
    return;
  }
  resume(Date.now() + RESUME_FOR_MS, 1000);
}

function ended(text) {
  state.ended = true;
  state.view.stateLine.classList.remove('lost');
  state.view.stateLine.textContent = text;
  const again = h('button', {type: 'button', id: 'terminal-again', onclick: () => state.resource.hostLogin
    ? showSiteLogin('', true) : showLoginForm('')}, 'Open again');
  state.view.stateLine.after(again);
  state.term?.blur();
  again.focus();
}

/** Reconnects to the shell the appliance keeps, trying again with a growing pause until the window passes. */
function resume(deadline, pause) {
  state.view.stateLine.classList.add('lost');
  state.view.stateLine.textContent = 'Connection lost. Reconnecting…';
  if (Date.now() > deadline) {
    ended('The connection was lost and could not be restored in time.');
    return;
  }
  setTimeout(() => open({v: PROTOCOL_VERSION, resume: state.resume}, state.view.screen, event => {
    if (event.code >= 4400 && event.code < 4500) {
      ended('The connection was lost and the terminal could not be resumed.');
    } else {
      resume(deadline, Math.min(pause * 2, 8000));
    }
  }), pause);
}

function ping() {
  if (Date.now() - state.lastPong > PONG_TIMEOUT_MS) {
    closeSocket(DROPPED, 'no answer from the appliance'); // the appliance keeps the shell for a resume
    return;
  }
  control({type: 'ping'});
}

function closeSocket(code, reason) {
  const socket = state.socket;
  if (!socket) {
    return;
  }
  if (code === 1000) {
    state.ended = true;
  }
  socket.close(code, reason);
  if (code !== 1000) {
    // a dead link may never confirm the close; go on as if it had
    state.socket = null;
    closed({code, reason});
  }
}

function send(bytes) {
  if (state.connected && state.socket?.readyState === WebSocket.OPEN) {
    state.socket.send(bytes);
  }
}

function control(message) {
  if (state.connected && state.socket?.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(message));
  }
}
