// The admin console: one page under /admin/ whose sections are client-side routes (/admin/pools, ...). Admins
// see every section; session admins (help desk) only sessions and their history, as the admin API allows them
// nothing else.
import {api, ApiError, describe, setCsrfToken} from '/js/api.js';
import {signInForm} from '/js/signin.js';
import {fill, focusHeading, h} from '/js/ui.js';
import {auditView} from './audit.js';
import {COLLECTIONS} from './collections.js';
import {crudView} from './crud.js';
import {historyView} from './history.js';
import {dashboardView, hostsView} from './overview.js';
import {leasesView} from './leases.js';
import {recordingsView} from './recordings.js';
import {sessionsView} from './sessions.js';
import {tokensView} from './tokens.js';

const BASE = '/admin/';
const main = document.getElementById('main');
const nav = document.getElementById('sections');
const who = document.getElementById('who');

/** Sections in menu order: route, label, roles that see it, view. */
const SECTIONS = [
  {route: '', label: 'Dashboard', roles: ['admin'], view: dashboardView},
  {route: 'hosts', label: 'Hosts', roles: ['admin'], view: hostsView},
  {route: 'sessions', label: 'Sessions', roles: ['admin', 'session-admin'], view: sessionsView},
  {route: 'session-history', label: 'Session history', roles: ['admin', 'session-admin'], view: historyView},
  ...COLLECTIONS.map(spec => ({route: spec.path, label: spec.title, roles: ['admin'], view: crudView(spec)})),
  {route: 'enroll-tokens', label: 'Enrollment tokens', roles: ['admin'], view: tokensView},
  {route: 'leases', label: 'Leases', roles: ['admin'], view: leasesView},
  {route: 'recordings', label: 'Recordings', roles: ['admin'], view: recordingsView},
  {route: 'audit', label: 'Audit log', roles: ['admin'], view: auditView},
];

let user = null;

window.addEventListener('popstate', () => user && show(routeOf(location.pathname), false));
start();

async function start() {
  try {
    const {data} = await api('/api/v1/me');
    setCsrfToken(data.csrfToken);
    signedIn(data.user);
  } catch (e) {
    showSignIn(e instanceof ApiError && e.status === 401 ? '' : describe(e, 'load the console'));
  }
}

function showSignIn(message) {
  user = null;
  nav.hidden = true;
  fill(who);
  fill(main, signInForm('Sign in to the Outpost console', u => {
    signedIn(u);
  }), message ? h('p', {class: 'error', role: 'alert'}, message) : null);
  document.title = 'Sign in · Outpost console';
}

function signedIn(account) {
  user = account;
  fill(who,
    h('span', {id: 'signed-in-user'}, `${account.displayName || account.username} (${account.roles.join(', ')})`),
    h('a', {href: '/'}, 'Store'),
    h('button', {type: 'button', id: 'sign-out', onclick: signOut}, 'Sign out'));
  if (allowedSections().length === 0) {
    nav.hidden = true;
    fill(main, h('h1', {}, 'No console access'),
      h('p', {}, `The account ${account.username} has neither the admin nor the session-admin role. `
        + 'Use the store to launch your apps.'), h('p', {}, h('a', {href: '/'}, 'Go to the store')));
    return;
  }
  show(routeOf(location.pathname), false);
}

async function signOut() {
  try {
    await api('/api/v1/logout', {method: 'POST'});
  } catch {
    // signed out locally either way
  }
  setCsrfToken(null);
  history.replaceState(null, '', BASE);
  showSignIn('You are signed out.');
}

function allowedSections() {
  return SECTIONS.filter(section => section.roles.some(role => user.roles.includes(role)));
}

function routeOf(pathname) {
  return pathname.startsWith(BASE) ? pathname.slice(BASE.length).replace(/\/+$/, '') : '';
}

/** Renders a section; one the account may not see falls back to its first allowed section. */
function show(route, push) {
  const allowed = allowedSections();
  const section = allowed.find(s => s.route === route) || allowed[0];
  if (push || section.route !== route) {
    history[push ? 'pushState' : 'replaceState'](null, '', BASE + section.route);
  }
  renderNav(allowed, section);
  document.title = `${section.label} · Outpost console`;
  const view = h('div', {id: 'view', 'data-section': section.route || 'dashboard'});
  fill(main, view);
  section.view(view, {user, navigate: target => show(target, true)}).catch(e => {
    view.append(h('p', {class: 'error', role: 'alert'}, describe(e, `show ${section.label.toLowerCase()}`)));
    if (e instanceof ApiError && e.status === 401) {
      showSignIn('Your session has ended. Sign in again.');
    }
  });
  if (push) {
    focusHeading(main);
  }
}

function renderNav(allowed, current) {
  nav.hidden = false;
  fill(nav, h('ul', {}, allowed.map(section => h('li', {},
    h('a', {href: BASE + section.route, 'aria-current': section === current ? 'page' : null,
      onclick: event => {
        if (event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
          event.preventDefault();
          show(section.route, true);
        }
      }}, section.label)))));
}
