// The browser desktop (desktop.html?resource=ID): launches a VNC resource like the store does, presents the ticket
// on the appliance's WebSocket gateway (/gateway, the same byte relay `outpost client --gateway wss` uses) and hands
// the open socket to noVNC, which speaks RFB to the desktop's VNC server through it. The appliance never looks into
// the stream. A VNC password the server asks for goes to the server once and is kept nowhere; see
// docs/browser-sessions.md.
import {api, ApiError, describe, setCsrfToken} from './api.js';
import {fill, h} from './ui.js';
import RFB from '/vendor/novnc/core/rfb.js';

const PROTOCOL_VERSION = 1;
/** The close code a browser reports for a connection that dropped without a close frame (network, proxy). */
const ABNORMAL_CLOSURE = 1006;

/** How the desktop fits the tab: noVNC's three ways, by the value of the View select. */
const VIEWS = {
  scale: {label: 'Scale to the window', scaleViewport: true, resizeSession: false},
  resize: {label: 'Resize the desktop', scaleViewport: false, resizeSession: true},
  actual: {label: 'Actual size', scaleViewport: false, resizeSession: false},
};

const main = document.getElementById('main');
const who = document.getElementById('who');

const state = {
  resource: null,
  rfb: null,
  socket: null,
  view: null,
  connected: false,
  /** The user pressed Disconnect: the end is not a lost connection. */
  ending: false,
  /** Why the desktop refused the login, for the line that says the session ended. */
  failure: null,
  /** The gateway's close frame, for its reason (idle timeout, host unreachable, ...). */
  closeEvent: null,
};

start();

async function start() {
  const id = new URLSearchParams(location.search).get('resource');
  try {
    const {data} = await api('/api/v1/me');
    setCsrfToken(data.csrfToken);
    fill(who, h('span', {id: 'signed-in-user'}, data.user.displayName || data.user.username));
    const {data: list} = await api('/api/v1/resources');
    state.resource = (list.items || []).find(r => r.id === id || r.name === id) || null;
  } catch (e) {
    const signedOut = e instanceof ApiError && e.status === 401;
    page('Desktop', h('p', {class: 'error', role: 'alert'}, signedOut
      ? 'You are not signed in. Sign in to the store, then open the desktop again.'
      : describe(e, 'open the desktop')),
    h('p', {}, h('a', {href: '/'}, 'Go to the store')));
    return;
  }
  if (!state.resource) {
    page('Desktop', h('p', {class: 'error', role: 'alert'}, 'This desktop is not published to you, or no longer '
      + 'exists.'), h('p', {}, h('a', {href: '/'}, 'Go to the store')));
    return;
  }
  document.title = `${title()} · Outpost`;
  connect();
}

function title() {
  return state.resource.displayName || state.resource.name;
}

/** Replaces the page's content under its heading. */
function page(heading, ...children) {
  fill(main, h('h1', {id: 'desktop-heading', tabindex: '-1'}, heading), ...children);
}

/** Launches (a fresh ticket) and opens the WebSocket gateway with it. */
async function connect() {
  disposeDesktop();
  const status = h('p', {class: 'terminal-state', id: 'desktop-state', role: 'status'}, 'Starting…');
  page(title(), status);
  let launch;
  try {
    const {data} = await api(`/api/v1/resources/${encodeURIComponent(state.resource.id)}/launch`, {method: 'POST'});
    launch = data;
  } catch (e) {
    status.textContent = describe(e, `start ${title()}`);
    status.classList.add('lost');
    status.after(againButton());
    return;
  }
  const view = showDesktop(launch);
  open(launch.ticket, view);
}

/**
 * The gateway's handshake (a text frame with the ticket, a text answer), then the socket is noVNC's: from its
 * answer on, binary frames carry the RFB stream both ways. No WebSocket subprotocol is asked for: noVNC gets the
 * socket already open and only needs binary frames, which it reads as ArrayBuffers.
 */
function open(ticket, view) {
  const socket = new WebSocket(`wss://${location.host}/gateway`);
  socket.binaryType = 'arraybuffer';
  state.socket = socket;
  let answered = false;
  socket.onopen = () => socket.send(JSON.stringify({v: PROTOCOL_VERSION, ticket}));
  socket.onmessage = event => {
    if (answered || typeof event.data !== 'string') {
      return;
    }
    const message = JSON.parse(event.data);
    if (message.status === 200) {
      answered = true;
      attach(socket, view); // synchronously, so that noVNC sees the stream from its first byte
    }
  };
  // noVNC replaces the on* handlers when it takes the socket; a listener stays, for the appliance's close reason
  socket.addEventListener('close', event => {
    if (socket !== state.socket) {
      return;
    }
    if (!answered && state.ending) {
      ended('The session ended.', false);
    } else if (!answered) {
      ended(event.reason ? `Could not connect: ${event.reason}.`
        : 'Could not connect: the appliance closed the connection.', true);
    } else {
      state.closeEvent = event;
    }
  });
}

/** Builds the desktop view once per connection attempt. */
function showDesktop(launch) {
  const stateLine = h('p', {class: 'terminal-state', id: 'desktop-state', role: 'status'},
    `Connecting to ${launch.session.host}…`);
  const nameLine = h('p', {class: 'muted hostkey', id: 'desktop-name'});
  const viewSelect = h('select', {id: 'desktop-view', onchange: event => applyView(event.target.value)},
    Object.entries(VIEWS).map(([value, view]) => h('option', {value}, view.label)));
  const keys = h('button', {type: 'button', class: 'secondary', id: 'desktop-ctrl-alt-del', disabled: true,
    onclick: () => {
      state.rfb?.sendCtrlAltDel();
      state.rfb?.focus();
    }}, 'Ctrl+Alt+Del');
  const clipboardText = h('textarea', {id: 'desktop-clipboard-text', spellcheck: 'false', autocomplete: 'off'});
  const clipboard = h('div', {class: 'desktop-clipboard', id: 'desktop-clipboard', hidden: true},
    h('label', {for: 'desktop-clipboard-text'}, 'Clipboard: text the desktop copied shows here; type or paste text '
      + 'here to send it to the desktop', clipboardText),
    h('div', {class: 'actions'}, h('button', {type: 'button', class: 'secondary', id: 'desktop-clipboard-send',
      onclick: () => {
        state.rfb?.clipboardPasteFrom(clipboardText.value);
        say('Sent to the desktop\'s clipboard.');
      }}, 'Send to the desktop')));
  const clipboardToggle = h('button', {type: 'button', class: 'secondary', id: 'desktop-clipboard-toggle',
    'aria-expanded': 'false', 'aria-controls': 'desktop-clipboard', onclick: event => {
      const show = clipboard.hidden;
      clipboard.hidden = !show;
      event.currentTarget.setAttribute('aria-expanded', String(show));
      if (show) {
        clipboardText.focus();
      }
    }}, 'Clipboard');
  const disconnect = h('button', {type: 'button', class: 'danger', id: 'desktop-disconnect', onclick: () => {
    state.ending = true;
    if (state.rfb) {
      state.rfb.disconnect();
    } else {
      state.socket?.close(1000, 'closed by the user');
    }
  }}, 'Disconnect');
  const credentials = h('div', {id: 'desktop-credentials'});
  const screen = h('div', {class: 'terminal-screen desktop-screen', id: 'desktop', role: 'region',
    'aria-label': `Desktop on ${launch.session.host}`});
  page(title(),
    h('div', {class: 'terminal-bar'}, stateLine, h('div', {class: 'actions'},
      h('label', {class: 'inline', for: 'desktop-view'}, 'View', viewSelect), keys, clipboardToggle, disconnect)),
    nameLine, credentials, clipboard, screen);
  const view = {stateLine, nameLine, keys, clipboardText, credentials, screen, viewSelect,
    host: launch.session.host};
  Object.assign(state, {view, connected: false, failure: null, ending: false, closeEvent: null});
  return view;
}

/** noVNC takes the open socket and draws the desktop into the screen. */
function attach(socket, view) {
  const rfb = new RFB(view.screen, socket, {shared: true});
  state.rfb = rfb;
  // events of a desktop the page has already replaced (Open again) are not this view's
  const current = () => state.view === view;
  rfb.background = '#000000';
  rfb.focusOnClick = true;
  applyView(view.viewSelect.value);
  rfb.addEventListener('connect', () => {
    if (!current()) {
      return;
    }
    state.connected = true;
    view.stateLine.classList.remove('lost');
    view.stateLine.textContent = `Connected to ${view.host}.`;
    view.keys.disabled = false;
    fill(view.credentials);
    rfb.focus();
  });
  rfb.addEventListener('desktopname', event => {
    view.nameLine.textContent = event.detail.name ? `Desktop ${event.detail.name}` : '';
  });
  rfb.addEventListener('credentialsrequired', event => {
    if (current()) {
      askCredentials(event.detail.types || ['password']);
    }
  });
  rfb.addEventListener('securityfailure', event => {
    if (!current()) {
      return;
    }
    state.failure = event.detail.reason ? `The desktop refused the login: ${event.detail.reason}.`
      : 'The desktop refused the login.';
  });
  rfb.addEventListener('clipboard', event => {
    view.clipboardText.value = event.detail.text;
  });
  rfb.addEventListener('disconnect', event => {
    if (!current()) {
      return;
    }
    const close = state.closeEvent;
    let text = 'The session ended.';
    let lost = false;
    if (state.failure) {
      [text, lost] = [state.failure, true];
    } else if (close && close.reason === 'idle timeout') {
      text = 'The session was closed after a long time without use.';
    } else if (!state.connected) {
      [text, lost] = [close && close.reason ? `Could not connect: ${close.reason}.`
        : 'Could not connect to the desktop.', true];
    } else if (!state.ending && (!event.detail.clean || close?.code === ABNORMAL_CLOSURE)) {
      [text, lost] = ['The connection to the desktop was lost.', true];
    }
    state.rfb = null;
    ended(text, lost);
  });
}

function applyView(value) {
  const view = VIEWS[value] || VIEWS.scale;
  if (state.rfb) {
    state.rfb.scaleViewport = view.scaleViewport;
    state.rfb.resizeSession = view.resizeSession;
    state.rfb.clipViewport = false;
  }
}

/** The VNC server asks for a password (and perhaps a user): asked here, sent to the server once, kept nowhere. */
function askCredentials(types) {
  const view = state.view;
  const fields = [];
  const inputs = {};
  if (types.includes('username')) {
    inputs.username = h('input', {id: 'desktop-username', autocomplete: 'username', autocapitalize: 'none',
      spellcheck: 'false', required: true});
    fields.push(h('label', {for: 'desktop-username'}, 'User on the desktop', inputs.username));
  }
  if (types.includes('password')) {
    inputs.password = h('input', {id: 'desktop-password', type: 'password', autocomplete: 'off', required: true});
    fields.push(h('label', {for: 'desktop-password'}, 'Password of the desktop', inputs.password));
  }
  if (types.includes('target')) {
    inputs.target = h('input', {id: 'desktop-target', autocomplete: 'off', required: true});
    fields.push(h('label', {for: 'desktop-target'}, 'Target (as the desktop\'s server names it)', inputs.target));
  }
  const form = h('form', {class: 'stacked', id: 'desktop-login', 'aria-describedby': 'desktop-login-note'},
    h('p', {class: 'hint', id: 'desktop-login-note'}, 'The desktop asks for its password. Outpost passes it to the '
      + 'desktop once and keeps it nowhere, neither here nor on the appliance.'),
    fields,
    h('div', {class: 'actions'}, h('button', {type: 'submit', id: 'desktop-login-submit'}, 'Connect')));
  form.addEventListener('submit', event => {
    event.preventDefault();
    const sent = {};
    for (const [name, input] of Object.entries(inputs)) {
      sent[name] = input.value;
      input.value = '';
    }
    fill(view.credentials);
    view.stateLine.textContent = `Connecting to ${view.host}…`;
    state.rfb?.sendCredentials(sent);
  });
  view.stateLine.textContent = `${view.host} asks for its password.`;
  fill(view.credentials, form);
  (inputs.username || inputs.password || inputs.target).focus();
}

/** A short message on the state line, without losing what the state is. */
function say(message) {
  if (state.view) {
    const now = state.connected ? `Connected to ${state.view.host}.` : 'Not connected.';
    state.view.stateLine.textContent = `${now} ${message}`;
  }
}

/** The desktop is gone (or never came): says why, and offers to open it again with a new launch. */
function ended(text, lost) {
  state.connected = false;
  state.socket = null;
  const view = state.view;
  view.keys.disabled = true;
  fill(view.credentials);
  view.stateLine.classList.toggle('lost', Boolean(lost));
  view.stateLine.textContent = text;
  const line = view.stateLine;
  const again = againButton();
  line.after(again);
  again.focus();
}

function againButton() {
  return h('button', {type: 'button', id: 'desktop-again', onclick: connect}, 'Open again');
}

function disposeDesktop() {
  if (state.rfb) {
    const rfb = state.rfb;
    state.rfb = null;
    rfb.disconnect();
  }
  state.socket = null;
  state.view = null;
}
