// The web store: sign in, find and launch your apps and desktops, manage your sessions, sign out. Offline
// (appliance or network down) it shows the last resource list the service worker kept for this feed.
import {api, ApiError, describe, OfflineError, setCsrfToken} from './api.js';
import {forget, forgetLocalFavourites, lastUser, localFavourites, rememberUser} from './feed.js';
import {heartbeat} from './heartbeat.js';
import {clientCommand, currentLease, leaseCovers, openFileCommand} from './lease.js';
import {signInForm} from './signin.js';
import {commandBox, fill, focusHeading, h, table, when} from './ui.js';

/** The mode a site is in when its hub answers; anything else (e.g. "local") is an outage. */
const NORMAL_MODE = 'hub';
/** Resources a tab of the browser opens itself, by launch hint: the page that does it and its button's class. */
const IN_BROWSER = new Map([
  ['ssh', {page: '/terminal.html', className: 'open-terminal'}],
  ['vnc', {page: '/desktop.html', className: 'open-desktop'}],
]);

const main = document.getElementById('main');
const banners = document.getElementById('banners');
const who = document.getElementById('who');

const state = {
  user: null,
  resources: [],
  offline: false,
  offlineSince: null,
  seenAt: null,
  degraded: null,
  lease: null,
  favourites: new Set(),
  query: '',
  category: '',
  favouritesOnly: false,
  sessions: null,
  history: null,
  launch: null,
  message: '',
};

/** Tells the open page, without a click, that the appliance went away or that the sign-in ended. */
const beat = heartbeat({onUnreachable: lostAppliance, onSignedOut: () => signedOutElsewhere()});

registerWorker();
window.addEventListener('online', () => state.offline && load());
navigator.serviceWorker?.addEventListener('controllerchange', primeFeed);
load();

function registerWorker() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/sw.js', {scope: '/'}).catch(() => {
      // the store works without it, only not offline
    });
  }
}

/** Once the service worker controls the page, fetch the feed again through it so that a copy is kept. */
function primeFeed() {
  if (state.user && !state.offline) {
    const feed = state.user.username;
    api('/api/v1/resources', {feed}).catch(() => null);
    currentLease(feed);
  }
}

/** Shows the live store when the appliance answers, the cached one when it does not, else the sign-in form. */
async function load() {
  try {
    const {data} = await api('/api/v1/me');
    setCsrfToken(data.csrfToken);
    await showStore(data.user, false);
  } catch (e) {
    const remembered = lastUser();
    if (e instanceof OfflineError && remembered) {
      await showStore(remembered, true);
    } else if (e instanceof OfflineError) {
      showSignIn('', true);
    } else {
      showSignIn(e instanceof ApiError && e.status === 401 ? '' : describe(e, 'load the store'), false);
    }
  }
}

function showSignIn(message, offline) {
  beat.stop();
  Object.assign(state, {user: null, resources: [], sessions: null, history: null, launch: null, lease: null,
    degraded: null, offline, offlineSince: null});
  renderBanners();
  fill(who);
  fill(main, signInForm('Sign in to Outpost', user => showStore(user, false).then(() => focusHeading(main))),
    message ? h('p', {class: 'notice', role: 'status'}, message) : null);
  document.title = 'Sign in · Outpost';
}

async function showStore(user, offline) {
  state.user = user;
  state.favourites = new Set();
  state.launch = null;
  state.history = null;
  state.message = '';
  rememberUser(user);
  await refresh(offline);
  document.title = 'Your apps · Outpost';
}

/** Reads the resource list (live, or the feed's cached copy), the site's mode, the lease and the sessions. */
async function refresh(knownOffline) {
  const feed = state.user.username;
  try {
    const {data, offlineSince} = await api('/api/v1/resources', {feed});
    state.resources = data.items || [];
    state.offline = knownOffline || Boolean(offlineSince);
    state.offlineSince = offlineSince || null;
    state.seenAt = state.offline ? state.offlineSince : new Date().toISOString();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      await signedOutElsewhere();
      return;
    }
    state.offline = e instanceof OfflineError;
    state.offlineSince = null;
    state.resources = [];
    state.message = state.offline ? '' : describe(e, 'list your apps');
  }
  const [status, lease, sessions, favourites] = await Promise.all([
    state.offline ? null : api('/api/v1/status').then(r => r.data, () => null),
    currentLease(feed),
    state.offline ? null : api('/api/v1/sessions').then(r => r.data.items, () => null),
    readFavourites(feed),
  ]);
  state.favourites = favourites;
  state.degraded = status && status.mode && status.mode !== NORMAL_MODE ? status.mode : null;
  state.lease = lease;
  state.sessions = sessions;
  render();
  if (state.offline) {
    beat.stop();
  } else {
    beat.start();
  }
}

/**
 * The heartbeat lost the appliance: the page turns into the offline store in place, from what it read last (the
 * resource list and the lease), without a reload; Reconnect (or the browser coming back online) reads it again.
 */
function lostAppliance() {
  if (!state.user || state.offline) {
    return;
  }
  Object.assign(state, {offline: true, offlineSince: state.seenAt, degraded: null, sessions: null});
  renderBanners();
  updateList();
  document.getElementById('sessions').replaceWith(sessionsSection());
  document.getElementById('history').replaceWith(historySection());
}

/**
 * The appliance says the sign-in ended (signed out in another tab or device, expired, or ended by an
 * administrator): say so and show the sign-in form now, instead of an error on the next click.
 */
async function signedOutElsewhere() {
  const username = state.user?.username;
  setCsrfToken(null);
  if (username) {
    await forget(username);
  }
  showSignIn('You are signed out: your sign-in has ended (signed out elsewhere, expired, or ended by an '
    + 'administrator). Sign in again to go on.', false);
}

/** Whether an action failed because the sign-in ended; if so the sign-in form is already shown. */
function endedSignIn(error) {
  if (error instanceof ApiError && error.status === 401) {
    signedOutElsewhere();
    return true;
  }
  return false;
}

function render() {
  renderBanners();
  renderWho();
  fill(main,
    h('h1', {}, 'Your apps and desktops'),
    state.message ? h('p', {class: 'error', role: 'alert'}, state.message) : null,
    toolbar(),
    resourceList(),
    launchPanel(),
    sessionsSection(),
    historySection());
}

function renderBanners() {
  const parts = [];
  if (state.offline) {
    const since = state.offlineSince && state.offlineSince !== 'none' ? ` (saved ${when(state.offlineSince)})` : '';
    parts.push(h('div', {class: 'banner banner-offline', id: 'offline-banner', role: 'alert'},
      h('strong', {}, 'You are offline.'),
      h('span', {}, state.user
        ? `The appliance cannot be reached. Showing your apps as last seen${since}; what cannot start now is greyed out.`
        : 'The appliance cannot be reached, and nothing is saved on this device yet.'),
      h('a', {href: '/', id: 'reconnect', onclick: reconnect}, 'Reconnect')));
  }
  if (state.degraded) {
    parts.push(h('div', {class: 'banner banner-degraded', id: 'degraded-banner', role: 'status'},
      h('strong', {}, 'Limited service.'),
      h('span', {}, `The site is running in ${state.degraded} mode while its control plane is unreachable: `
        + 'launching goes on, changes by administrators wait.')));
  }
  fill(banners, parts);
}

function reconnect(event) {
  event.preventDefault();
  const link = event.currentTarget;
  link.textContent = 'Reconnecting…';
  load().then(() => {
    const heading = main.querySelector('h1');
    if (!state.offline && heading) {
      focusHeading(main);
    } else {
      document.getElementById('reconnect')?.focus();
    }
  });
}

function renderWho() {
  fill(who,
    h('span', {id: 'signed-in-user'}, state.user.displayName || state.user.username),
    h('button', {type: 'button', id: 'sign-out', onclick: signOut}, 'Sign out'));
}

async function signOut() {
  beat.stop();
  const username = state.user.username;
  let message = 'You are signed out.';
  try {
    await api('/api/v1/logout', {method: 'POST'});
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      message = `Signed out on this device, but ${describe(e, 'tell the appliance').replace(/^Could not/, 'could not')}`;
    }
  }
  setCsrfToken(null);
  await forget(username);
  showSignIn(message, false);
  document.getElementById('signin-username')?.focus();
}

function toolbar() {
  const search = h('input', {type: 'search', id: 'search', value: state.query, placeholder: 'Name of an app',
    oninput: event => {
      state.query = event.target.value;
      updateList();
    }});
  const onlyFavourites = h('input', {type: 'checkbox', id: 'favourites-only', checked: state.favouritesOnly,
    onchange: event => {
      state.favouritesOnly = event.target.checked;
      updateList();
    }});
  const categories = [...new Set(state.resources.map(r => r.category || '').filter(Boolean))]
    .sort((a, b) => a.localeCompare(b));
  if (state.category && !categories.includes(state.category)) {
    state.category = '';
  }
  const category = categories.length === 0 ? null : h('label', {for: 'category'}, 'Category',
    h('select', {id: 'category', onchange: event => {
      state.category = event.target.value;
      updateList();
    }}, h('option', {value: ''}, 'All categories'),
    categories.map(name => h('option', {value: name, selected: name === state.category}, name))));
  return h('div', {class: 'toolbar', role: 'search'},
    h('label', {for: 'search'}, 'Search', search),
    category,
    h('label', {class: 'check', for: 'favourites-only'}, onlyFavourites, 'Favourites only'),
    h('p', {class: 'muted', role: 'status', id: 'favourites-status'}));
}

function updateList() {
  document.getElementById('resources').replaceWith(resourceList());
}

function visibleResources() {
  const query = state.query.trim().toLowerCase();
  return state.resources
    .filter(r => !query || r.name.toLowerCase().includes(query) || (r.displayName || '').toLowerCase().includes(query))
    .filter(r => !state.favouritesOnly || state.favourites.has(r.id))
    .filter(r => !state.category || r.category === state.category)
    .sort((a, b) => Number(state.favourites.has(b.id)) - Number(state.favourites.has(a.id))
      || (a.displayName || a.name).localeCompare(b.displayName || b.name));
}

function resourceList() {
  const shown = visibleResources();
  const region = h('section', {id: 'resources', 'aria-labelledby': 'resources-heading'},
    h('h2', {id: 'resources-heading'}, `Apps and desktops (${shown.length})`));
  if (shown.length === 0) {
    region.append(h('p', {class: 'muted'}, state.resources.length === 0
      ? (state.offline ? 'No apps are saved on this device.' : 'No apps or desktops are published to you yet.')
      : 'Nothing matches your search.'));
    return region;
  }
  region.append(h('ul', {class: 'resources'}, shown.map(resourceCard)));
  return region;
}

function resourceCard(resource) {
  const throughLease = state.offline && leaseCovers(state.lease, resource);
  const startable = !state.offline && resource.available !== false;
  const reasonId = `reason-${resource.id}`;
  const reason = state.offline
    ? (throughLease ? 'Offline: launch it with the Outpost client (your connection lease).' : 'Offline: cannot start now.')
    : (resource.available === false ? (resource.reason || 'Not available right now.') : '');
  const favourite = state.favourites.has(resource.id);
  const title = resource.displayName || resource.name;
  const inBrowser = IN_BROWSER.get((resource.launchHint || '').toLowerCase());
  const clientBox = h('div', {hidden: true, class: 'client-handoff'},
    commandBox('Run on this device:', clientCommand(resource, state.user.username)));
  return h('li', {class: startable || throughLease ? 'resource' : 'resource unavailable', 'data-resource': resource.name,
    'data-startable': String(startable), 'data-lease': String(throughLease)},
    h('img', {src: resource.kind === 'desktop' ? '/icons/desktop.svg' : '/icons/app.svg', alt: ''}),
    h('div', {},
      h('h3', {}, title),
      h('p', {class: 'meta'}, [resource.kind === 'desktop' ? 'Desktop' : 'App', resource.category,
        title !== resource.name ? resource.name : ''].filter(Boolean).join(' · ')),
      reason ? h('p', {class: 'meta state', id: reasonId}, reason) : null),
    h('button', {type: 'button', class: 'fav', 'aria-pressed': String(favourite),
      'aria-label': `Favourite ${title}`, onclick: () => toggleFavourite(resource)}, favourite ? '★' : '☆'),
    h('div', {class: 'row'},
      inBrowser ? h('button', {type: 'button', class: inBrowser.className, disabled: !startable,
        'aria-describedby': reason ? reasonId : null, 'aria-label': `Open ${title} in a browser tab`,
        onclick: () => openInBrowser(resource, inBrowser)}, 'Open in browser') : null,
      h('button', {type: 'button', class: inBrowser ? 'launch secondary' : 'launch',
        disabled: !startable, 'aria-describedby': reason ? reasonId : null,
        onclick: event => launch(resource, event.currentTarget)}, `Launch`),
      throughLease ? h('button', {type: 'button', class: 'secondary handoff', 'aria-expanded': 'false',
        onclick: event => {
          const open = clientBox.hidden;
          clientBox.hidden = !open;
          event.currentTarget.setAttribute('aria-expanded', String(open));
        }}, 'Use the Outpost client') : null,
      clientBox));
}

/**
 * An SSH resource's terminal or a VNC resource's desktop opens in a tab of its own; the tab launches (the session is
 * placed there).
 */
function openInBrowser(resource, inBrowser) {
  window.open(`${inBrowser.page}?resource=${encodeURIComponent(resource.id)}`, '_blank', 'noopener');
}

/**
 * The user's favourites as the server keeps them (the service worker's copy offline). Those an earlier version
 * kept in this browser move to the server once.
 */
async function readFavourites(feed) {
  let ids;
  try {
    const {data, offlineSince} = await api('/api/v1/favourites', {feed});
    ids = new Set(data.items || []);
    if (offlineSince) {
      return ids;
    }
  } catch {
    return state.favourites;
  }
  const moving = [...localFavourites(feed)].filter(id => !ids.has(id));
  for (const id of moving) {
    await api(`/api/v1/favourites/${encodeURIComponent(id)}`, {method: 'PUT'})
      .then(({data}) => {
        ids = new Set(data.items || []);
      }, () => null); // no longer published to the user: dropped
  }
  forgetLocalFavourites(feed);
  return ids;
}

/** Marks or unmarks a favourite on the server, which keeps it for every device the user signs in on. */
async function toggleFavourite(resource) {
  const title = resource.displayName || resource.name;
  const adding = !state.favourites.has(resource.id);
  const status = document.getElementById('favourites-status');
  try {
    const {data} = await api(`/api/v1/favourites/${encodeURIComponent(resource.id)}`,
      {method: adding ? 'PUT' : 'DELETE'});
    state.favourites = new Set(data.items || []);
    status.textContent = adding ? `${title} is a favourite.` : `${title} is no longer a favourite.`;
    api('/api/v1/favourites', {feed: state.user.username}).catch(() => null); // refreshes the offline copy
  } catch (e) {
    if (endedSignIn(e)) {
      return;
    }
    status.textContent = describe(e, adding ? `mark ${title} as a favourite` : `unmark ${title}`);
  }
  updateList();
  document.querySelector(`li[data-resource="${CSS.escape(resource.name)}"] .fav`)?.focus();
}

async function launch(resource, button) {
  button.disabled = true;
  state.launch = {resource, pending: true};
  replacePanel();
  try {
    const {data} = await api(`/api/v1/resources/${encodeURIComponent(resource.id)}/launch`, {method: 'POST'});
    state.launch = {resource, data, file: launchFile(data)};
    state.launch.file.link.click();
  } catch (e) {
    if (endedSignIn(e)) {
      return;
    }
    state.launch = {resource, error: describe(e, `launch ${resource.displayName || resource.name}`)};
  }
  button.disabled = false;
  replacePanel();
  document.getElementById('launch-heading')?.focus();
  state.sessions = await api('/api/v1/sessions').then(r => r.data.items, () => state.sessions);
  document.getElementById('sessions').replaceWith(sessionsSection());
}

/** The .outpost launch file as a download link (the same document ?format=file answers). */
function launchFile(data) {
  if (state.launch?.file) {
    URL.revokeObjectURL(state.launch.file.url);
  }
  const name = `${data.session.resource.replace(/[^A-Za-z0-9._-]/g, '_')}.outpost`;
  const blob = new Blob([JSON.stringify(data.launchFile, null, 2)], {type: 'application/vnd.outpost.launch+json'});
  const url = URL.createObjectURL(blob);
  return {name, url, link: h('a', {href: url, download: name, id: 'launch-file'}, `Download ${name} again`)};
}

function replacePanel() {
  document.getElementById('launch-panel').replaceWith(launchPanel());
}

function launchPanel() {
  const launchState = state.launch;
  if (!launchState) {
    return h('div', {id: 'launch-panel', hidden: true});
  }
  const panel = h('section', {id: 'launch-panel', 'aria-labelledby': 'launch-heading'});
  const title = launchState.resource.displayName || launchState.resource.name;
  panel.className = 'card launch-panel';
  if (launchState.pending) {
    fill(panel, h('h2', {id: 'launch-heading', tabindex: '-1'}, `Starting ${title}…`));
    return panel;
  }
  if (launchState.error) {
    fill(panel, h('h2', {id: 'launch-heading', tabindex: '-1'}, `${title} did not start`),
      h('p', {class: 'error', role: 'alert'}, launchState.error));
    return panel;
  }
  const {data, file} = launchState;
  fill(panel,
    h('h2', {id: 'launch-heading', tabindex: '-1'}, `${title} is ready`),
    h('p', {}, `${data.reconnected ? 'You are reconnected to your session' : 'Your session is placed'} on `
      + `${data.session.host}. The launch file ${file.name} was downloaded: open it with the Outpost client. `
      + `Its ticket works once, until ${when(data.expiresAt)}.`),
    h('p', {}, file.link),
    commandBox(`With the Outpost client, in the folder ${file.name} was saved to (uses this launch's ticket):`,
      openFileCommand(launchState.resource, state.user.username, file.name)),
    commandBox('Or launch again from the command line:', clientCommand(launchState.resource, state.user.username)),
    h('p', {class: 'hint'}, 'outpost is the installed command; from a checkout of Outpost, run ./outpost in its '
      + 'folder instead.'),
    h('div', {class: 'actions'}, h('button', {type: 'button', class: 'secondary', onclick: () => {
      state.launch = null;
      replacePanel();
      document.querySelector(`li[data-resource="${CSS.escape(launchState.resource.name)}"] .launch`)?.focus();
    }}, 'Close')));
  return panel;
}

function sessionsSection() {
  const section = h('section', {id: 'sessions', 'aria-labelledby': 'sessions-heading'},
    h('h2', {id: 'sessions-heading', tabindex: '-1'}, 'Your sessions'));
  if (state.sessions === null) {
    section.append(h('p', {class: 'muted'}, state.offline
      ? 'Your sessions are listed when the appliance can be reached.' : 'Your sessions could not be listed.'));
    return section;
  }
  const status = h('p', {role: 'status', class: 'muted', id: 'sessions-status'});
  section.append(status, table('Open sessions', ['App', 'Host', 'State', 'Started', 'Actions'],
    state.sessions.map(s => [s.resource, s.host, s.state, when(s.createdAt), h('div', {class: 'actions'},
      s.state === 'disconnected' ? h('button', {type: 'button', 'data-action': 'reconnect',
        'aria-label': `Reconnect ${s.resource}`, onclick: event => reconnectSession(s, event.currentTarget)},
      'Reconnect') : h('button', {type: 'button', class: 'secondary', 'data-action': 'disconnect',
        'aria-label': `Disconnect ${s.resource}`, onclick: () => sessionAction(s, 'disconnect', status)}, 'Disconnect'),
      h('button', {type: 'button', class: 'danger', 'data-action': 'logoff',
        'aria-label': `Log off ${s.resource}`, onclick: () => sessionAction(s, 'logoff', status)}, 'Log off'))]),
    {stacked: true}));
  return section;
}

/**
 * Reconnect launches the session's resource again: the broker finds the user's open session and places the
 * launch on it, so the new ticket leads back to the same session on the same host.
 */
function reconnectSession(session, button) {
  const resource = state.resources.find(r => r.id === session.resourceId)
    || {id: session.resourceId, name: session.resource};
  launch(resource, button);
}

async function sessionAction(session, action, status) {
  const doing = action === 'logoff' ? `log off ${session.resource}` : `disconnect ${session.resource}`;
  try {
    await api(`/api/v1/sessions/${encodeURIComponent(session.id)}/${action}`, {method: 'POST'});
    state.sessions = await api('/api/v1/sessions').then(r => r.data.items, () => state.sessions);
    document.getElementById('sessions').replaceWith(sessionsSection());
    if (action === 'logoff' && state.history) {
      await loadHistory(null);
    }
    const done = document.getElementById('sessions-status');
    done.textContent = action === 'logoff' ? `${session.resource}: logged off.` : `${session.resource}: disconnected.`;
    document.getElementById('sessions-heading').focus();
  } catch (e) {
    if (!endedSignIn(e)) {
      status.textContent = describe(e, doing);
    }
  }
}

/** Page size of the user's session history: a screenful; Older sessions reads the next page. */
const HISTORY_PAGE = 20;

/** Your session history: read on request (GET /api/v1/sessions/history), newest ended first. */
function historySection() {
  const section = h('section', {id: 'history', 'aria-labelledby': 'history-heading'},
    h('h2', {id: 'history-heading', tabindex: '-1'}, 'Your session history'));
  if (state.offline) {
    section.append(h('p', {class: 'muted'}, 'Your session history is shown when the appliance can be reached.'));
    return section;
  }
  if (!state.history) {
    section.append(h('button', {type: 'button', class: 'secondary', id: 'history-show',
      onclick: () => loadHistory(null).then(() => document.getElementById('history-heading')?.focus())},
    'Show your session history'));
    return section;
  }
  const {items, nextCursor, error} = state.history;
  section.append(error ? h('p', {class: 'error', role: 'alert'}, error) : null,
    table('Sessions that ended', ['App', 'Host', 'Started', 'Ended', 'Why it ended'],
      items.map(s => [s.resource || '', s.host || '', when(s.createdAt), when(s.endedAt), s.endReason || '']),
      {stacked: true}),
    nextCursor ? h('button', {type: 'button', class: 'secondary', id: 'history-older',
      onclick: () => loadHistory(nextCursor).then(() => document.getElementById('history-older')?.focus())},
    'Older sessions') : null);
  return section;
}

/** Reads the first page (cursor null) or the next one, and shows it. */
async function loadHistory(cursor) {
  const query = `?limit=${HISTORY_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const before = cursor && state.history ? state.history.items : [];
  try {
    const {data} = await api(`/api/v1/sessions/history${query}`);
    state.history = {items: [...before, ...(data.items || [])], nextCursor: data.nextCursor || null};
  } catch (e) {
    if (endedSignIn(e)) {
      return;
    }
    state.history = {items: before, nextCursor: cursor, error: describe(e, 'list your session history')};
  }
  document.getElementById('history')?.replaceWith(historySection());
}
