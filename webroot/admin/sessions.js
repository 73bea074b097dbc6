// Sessions for admins and session admins: filter, disconnect, log off (audited by the admin API).
import {api, describe} from '/js/api.js';
import {fill, h, table, when} from '/js/ui.js';
import {confirmAction} from './confirm.js';

export async function sessionsView(view) {
  const status = h('p', {role: 'status', class: 'notice'});
  const user = h('input', {id: 'sessions-user', name: 'user', type: 'search'});
  const openOnly = h('input', {id: 'sessions-open', type: 'checkbox', checked: true});
  const holder = h('div');
  const filter = h('form', {class: 'inline', role: 'search'},
    h('label', {for: 'sessions-user'}, 'User', user),
    h('label', {class: 'check', for: 'sessions-open'}, openOnly, 'Open sessions only'),
    h('button', {type: 'submit', class: 'secondary'}, 'Filter'));
  view.append(h('h1', {}, 'Sessions'), filter, status, holder);

  async function reload() {
    const query = new URLSearchParams();
    if (user.value.trim()) {
      query.set('user', user.value.trim());
    }
    if (openOnly.checked) {
      query.set('open', 'true');
    }
    const {data} = await api(`/admin/api/v1/sessions?${query}`);
    fill(holder, table('Sessions', ['User', 'Resource', 'Host', 'State', 'Started', 'Actions'],
      data.items.map(s => [s.username, s.resource, s.host, s.state, when(s.createdAt),
        s.state === 'ended' ? '' : h('div', {class: 'actions'},
          h('button', {type: 'button', class: 'secondary', 'aria-label': `Disconnect ${s.username} from ${s.resource}`,
            onclick: () => act(s, 'disconnect')}, 'Disconnect'),
          h('button', {type: 'button', class: 'danger', 'aria-label': `Log off ${s.username} from ${s.resource}`,
            onclick: () => act(s, 'logoff')}, 'Log off'))])));
  }

  async function act(session, action) {
    // logging off ends the session and whatever runs in it; a disconnect keeps it for the user to reconnect to
    if (action === 'logoff' && !await confirmAction({title: `Log ${session.username} off ${session.resource}?`,
      message: `This ends ${session.username}'s session on ${session.host || 'its host'} now, with everything `
        + 'running in it; unsaved work is lost. Disconnect instead keeps the session for them to reconnect to.',
      action: 'Log off'})) {
      return;
    }
    try {
      await api(`/admin/api/v1/sessions/${encodeURIComponent(session.id)}/${action}`, {method: 'POST'});
      status.textContent = `${session.username} on ${session.resource}: ${action === 'logoff' ? 'logged off' : 'disconnected'}.`;
      await reload();
    } catch (e) {
      status.textContent = describe(e, `${action === 'logoff' ? 'log off' : 'disconnect'} the session`);
    }
  }

  filter.addEventListener('submit', event => {
    event.preventDefault();
    reload().catch(e => {
      status.textContent = describe(e, 'list sessions');
    });
  });
  await reload();
}
